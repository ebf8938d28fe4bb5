/*
 * metadata_version.h — the version strings Kafka's deprecated
 * message.format.version / log.message.format.version accept.
 *
 * Kafka 3.x still defines both and checks their values against its
 * MetadataVersion list, but ignores them once the inter-broker protocol is
 * 3.0 or later.  Freshet stores magic v2 batches only, so it keeps the keys
 * for the configs people already have and checks the values the same way.
 */
#ifndef FR_METADATA_VERSION_H
#define FR_METADATA_VERSION_H

/* Kafka's default for both keys (IBP 3.0-IV1). */
#define FR_MESSAGE_FORMAT_VERSION_DEFAULT "3.0-IV1"

/* True when Kafka's MetadataVersion.fromVersionString (3.9) would accept s:
 * an exact version ("2.8-IV1", "0.10.0-IV0"), a release ("2.8", "0.10.0"),
 * or a release with more parts after it ("2.8.2", "0.10.2.1"). */
int fr_metadata_version_valid(const char *s);

#endif
