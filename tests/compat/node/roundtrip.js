#!/usr/bin/env node
// kafkajs side of tests/compat/test_kafkajs.py.
//
//   node roundtrip.js create  --bootstrap H:P --topic T --partitions 3
//   node roundtrip.js produce --bootstrap H:P --topic T --codec C --count N --base-ts MS --out FILE
//   node roundtrip.js consume --bootstrap H:P --topic T --out FILE
//
// produce writes one "i partition offset" line per record, from kafkajs's own
// answer: the partitioner's choice for the record and the produce response's
// base offset for that partition plus the record's position in the batch.
// consume writes one JSON line per record, bytes as base64:
//   {"p":0,"o":"12","k":"...","v":"...","h":[["idx","..."],...],"ts":"...","tt":0}
// The record contents follow tests/compat/compat_common.py.
'use strict'

const fs = require('fs')
const { Kafka, logLevel, Partitioners, CompressionTypes, CompressionCodecs } = require('kafkajs')

// ---- codecs: kafkajs ships gzip only; the others are plugged in here ----
// snappy: kafkajs-snappy (pure JS, snappyjs); lz4: lz4js (pure JS) frames as
// Kafka's clients write them (independent blocks); zstd: zstd-codec (the zstd C library
// compiled to JS/wasm, no native build).
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy')

const lz4js = require('lz4js')
const xxh32 = require('lz4js/xxh32.js')

// lz4js.compress writes one frame whose descriptor leaves the block-independence
// flag clear, which Kafka's broker refuses ("Dependent block stream is
// unsupported").  Its blocks hold 4 MiB, so a batch (kafkajs sends at most 1 MiB)
// is a single block, which depends on nothing: the flag is set and the
// descriptor's checksum made again, giving the frame Kafka's clients write.
// (Compressing 64 KiB blocks one by one with lz4js.compressBlock gave blocks
// that liblz4 refuses.)
function kafkaLz4Frame (src) {
  const frame = Buffer.from(lz4js.compress(src))
  const first = frame.readUInt32LE(7) & 0x7fffffff
  if (frame.readUInt32LE(7 + 4 + first) !== 0) throw new Error('lz4: more than one block in a batch')
  frame[4] |= 0x20 // block independence
  frame[6] = (xxh32.hash(0, frame, 4, 2) >> 8) & 0xff
  return frame
}

CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) {
    return kafkaLz4Frame(encoder.buffer)
  },
  async decompress(buffer) {
    return Buffer.from(lz4js.decompress(buffer))
  },
})

let zstdReady = null
const zstd = () => {
  if (!zstdReady) {
    zstdReady = new Promise(resolve => {
      require('zstd-codec').ZstdCodec.run(z => resolve({ simple: new z.Simple(), streaming: new z.Streaming() }))
    })
  }
  return zstdReady
}
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder) {
    const z = await zstd()
    return Buffer.from(z.simple.compress(encoder.buffer, 3))
  },
  async decompress(buffer) {
    // streaming: frames written by librdkafka or Java may not carry the content size
    const z = await zstd()
    const out = z.streaming.decompress(buffer)
    if (!out) throw new Error('zstd decompression failed')
    return Buffer.from(out)
  },
})

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

// ---- the record scheme (mirror of compat_common.py) ----
const keyOf = i => Buffer.from('key-' + String(i).padStart(7, '0'))
const valueOf = (i, codec) => {
  const h = ((Math.imul(i, 2654435761) >>> 0).toString(16)).padStart(8, '0')
  return Buffer.from('val-' + String(i).padStart(7, '0') + '|' + codec + '|' + h.repeat(i % 9))
}
const headersOf = (i, src) => ({ idx: Buffer.from(String(i)), src: Buffer.from(src) })

function parseArgs(argv) {
  const out = { _: [] }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[++i]
    else out._.push(argv[i])
  }
  return out
}

function kafka(bootstrap, clientId) {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    connectionTimeout: 10000,
    requestTimeout: 60000,
    retry: { retries: 5 },
  })
}

async function create({ bootstrap, topic, partitions }) {
  const admin = kafka(bootstrap, 'freshet-compat-admin').admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: Number(partitions), replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 30000,
    })
    if (!created) throw new Error(`createTopics: ${topic} not created`)
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    const got = md.topics[0].partitions.map(p => p.partitionId).sort()
    if (got.length !== Number(partitions)) throw new Error(`metadata shows partitions ${got}`)
  } finally {
    await admin.disconnect()
  }
}

async function produce({ bootstrap, topic, codec, count, 'base-ts': baseTs, out, src = 'kafkajs' }) {
  const n = Number(count)
  const base = BigInt(baseTs)
  if (!(codec in CODECS)) throw new Error(`unknown codec ${codec}`)
  // Records the default partitioner's choice for every key, so the delivery
  // report check below is about what kafkajs itself decided.
  const chosen = new Map()
  const createPartitioner = () => {
    const inner = Partitioners.DefaultPartitioner()
    return args => {
      const p = inner(args)
      chosen.set(args.message.key.toString(), p)
      return p
    }
  }
  const producer = kafka(bootstrap, 'freshet-compat-producer').producer({ createPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  const lines = new Array(n)
  const chunk = 5000
  const inFlight = 4
  try {
    const chunks = []
    for (let s = 0; s < n; s += chunk) chunks.push([s, Math.min(n, s + chunk)])
    let next = 0
    const worker = async () => {
      while (next < chunks.length) {
        const [s, e] = chunks[next++]
        const messages = []
        for (let i = s; i < e; i++) {
          messages.push({ key: keyOf(i), value: valueOf(i, codec), headers: headersOf(i, src), timestamp: String(base + BigInt(i)) })
        }
        const res = await producer.send({ topic, messages, acks: -1, timeout: 60000, compression: CODECS[codec] })
        const baseOffset = new Map()
        for (const r of res) {
          if (r.topicName !== topic || r.errorCode !== 0) throw new Error(`produce error: ${JSON.stringify(r)}`)
          baseOffset.set(r.partition, BigInt(r.baseOffset))
        }
        // kafkajs sends one batch per partition per send(), records in input order
        const pos = new Map()
        for (let i = s; i < e; i++) {
          const p = chosen.get(keyOf(i).toString())
          if (p === undefined || !baseOffset.has(p)) throw new Error(`no delivery report for record ${i} (partition ${p})`)
          const k = pos.get(p) || 0n
          pos.set(p, k + 1n)
          lines[i] = `${i} ${p} ${baseOffset.get(p) + k}`
        }
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
  } finally {
    await producer.disconnect()
  }
  fs.writeFileSync(out, lines.join('\n') + '\n')
}

async function fetchAll({ bootstrap, topic }) {
  // kafkajs's own consumer (a consumer group, subscribe from the beginning):
  // every record up to the end offsets seen at the start.
  const kafka = new Kafka({ clientId: 'freshet-compat-consumer', brokers: [bootstrap], logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map(p => [p.partition, BigInt(p.high)]))
  await admin.disconnect()
  const position = new Map([...ends.keys()].map(p => [p, 0n]))
  const done = () => [...ends].every(([p, end]) => position.get(p) >= end)
  const records = []
  const consumer = kafka.consumer({
    groupId: `freshet-compat-${topic}-${process.pid}`,
    maxWaitTimeInMs: 100,
    maxBytes: 16 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
    sessionTimeout: 30000,
    readUncommitted: false,
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    if (!done()) {
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consume timed out at ${JSON.stringify([...position].map(String))}`)), 240000)
        consumer.run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            let pos = position.get(batch.partition)
            for (const m of batch.messages) {
              const off = BigInt(m.offset)
              if (off < pos) continue // a batch may start before the fetch offset
              if (m.isControlRecord) { pos = off + 1n; continue }
              const h = []
              for (const [name, v] of Object.entries(m.headers || {})) {
                for (const one of Array.isArray(v) ? v : [v]) h.push([name, one == null ? null : one.toString('base64')])
              }
              records.push({
                p: batch.partition,
                o: m.offset,
                k: m.key == null ? null : m.key.toString('base64'),
                v: m.value == null ? null : m.value.toString('base64'),
                h,
                ts: m.timestamp,
                tt: m.batchContext ? m.batchContext.timestampType : 0,
              })
              pos = off + 1n
            }
            position.set(batch.partition, pos)
            if (done()) {
              clearTimeout(timer)
              resolve()
            }
          },
        }).catch(reject)
      })
    }
  } finally {
    await consumer.disconnect()
  }
  return records
}

async function consume(args) {
  const records = await fetchAll(args)
  const fd = fs.openSync(args.out, 'w')
  try {
    const step = 10000
    for (let s = 0; s < records.length; s += step) {
      fs.writeSync(fd, records.slice(s, s + step).map(r => JSON.stringify(r)).join('\n') + '\n')
    }
  } finally {
    fs.closeSync(fd)
  }
}

async function main() {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
  const args = parseArgs(process.argv.slice(2))
  const cmd = { create, produce, consume }[args._[0]]
  if (!cmd) throw new Error('usage: roundtrip.js create|produce|consume --bootstrap H:P --topic T ...')
  const t0 = Date.now()
  await cmd(args)
  process.stderr.write(`kafkajs ${args._[0]} ${args.topic} ${args.codec || ''}: ${((Date.now() - t0) / 1000).toFixed(1)}s\n`)
}

main().catch(e => {
  console.error(e && e.stack ? e.stack : e)
  process.exit(1)
})
