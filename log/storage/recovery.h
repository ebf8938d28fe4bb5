/*
 * recovery.h — rebuilding a segment's in-memory state from its files when a
 * partition log is opened.
 *
 * Corruption is expected here (a crash tears the tail of the active segment,
 * a disk flips bits, someone truncates an index): it is reported with file,
 * position and reason through fr_warn, and recovered from by truncating the
 * .log at the first bad batch or by rebuilding the indexes.  Nothing here
 * asserts on file contents.
 */
#ifndef FR_RECOVERY_H
#define FR_RECOVERY_H

#include <stdint.h>

#include "segment.h"

/*
 * Full scan of seg's .log from position 0 (seg was opened with
 * fr_segment_open).  Every batch must frame (length, magic 2), pass its CRC,
 * carry a known codec and consistent counts, start exactly at the next
 * expected offset (the first at the segment's base offset) and end below
 * limit_offset (the next segment's base offset, or INT64_MAX).  The indexes,
 * offsets, size and max timestamp are rebuilt from the good batches; at the
 * first bad or partial batch the file is truncated, with a warning naming the
 * file, position and reason.  *truncated_bytes (may be NULL) says how much was
 * cut.  roll_base_ms is set from the first batch's max timestamp (-1 if none).
 * Returns 0 (also after a truncation) or FR_ERR_IO / FR_ERR_NOMEM.
 * contiguous=1 (the active segment, which the cleaner never rewrites) makes
 * any offset gap corruption; older segments may have gaps left by compaction.
 * The base offset is outside the CRC, so this is what catches a damaged one.
 */
int fr_recover_segment(fr_segment_t *seg, const char *dir, int64_t limit_offset,
                       int64_t index_interval_bytes, int contiguous, int64_t *truncated_bytes);

/*
 * Brings up an inactive (older) segment cheaply: loads its .index and
 * .timeindex and checks their entries (in order, inside the file and the
 * segment), then walks the batch headers (no CRC) from the batch named by the
 * last time index entry, or the last offset index entry if that comes first,
 * to the end of the file.  The walk must end exactly at the end of the file
 * with contiguous offsets; the last entries of both indexes must name the
 * batches they point at (offset; max timestamp); no batch after the last time
 * entry may beat its timestamp (so a time index that lost entries is caught);
 * and no stretch longer than the index interval may be left unindexed.  With
 * timestamps that mostly rise the walk is a few headers.  The first batch's
 * header is read too, for roll_base_ms.  On any doubt it
 * warns and falls back to fr_recover_segment, then rewrites both index files.
 * Returns 0 or FR_ERR_IO / FR_ERR_NOMEM.
 */
int fr_load_segment(fr_segment_t *seg, int dirfd, const char *dir, int64_t limit_offset,
                    int64_t index_interval_bytes);

#endif
