#!/usr/bin/env node
// kafkajs side of tests/integration/test_idempotence_kafkajs.py.
//
//   node idempotent_produce.js --bootstrap H:P --topic T --partitions 3 --count N
//
// An idempotent kafkajs producer (idempotent: true, which makes acks -1 and
// retries unlimited; maxInFlightRequests: 1, as kafkajs needs for ordering)
// sends N records in sends of --chunk records.  Record i goes to partition
// i % partitions with the value "<partition>:<8-digit sequence in that
// partition>", so the checker can tell duplicates, losses and reordering
// apart.  Connection errors are expected (the test cuts connections): kafkajs
// retries them with the same sequence numbers.  Prints one JSON line of
// counts at the end; exits non-zero if a send finally failed.
'use strict'

const { Kafka, logLevel } = require('kafkajs')
const Connection = require('kafkajs/src/network/connection')

// kafkajs 2.2.4 sets its response reassembly state (chunks, bytesBuffered,
// bytesNeeded) only in the Connection constructor, so when a connection dies
// in the middle of a response, the stale half frame is glued in front of the
// next connection's bytes: the reader then throws ERR_BUFFER_OUT_OF_BOUNDS
// from a socket handler (killing the process) or waits forever for a frame
// that never ends (tulios/kafkajs#715).  That is the client's bug, not the
// broker's: start every new connection with an empty reassembly buffer.
const connect = Connection.prototype.connect
Connection.prototype.connect = function (...args) {
  if (!this.isConnected()) {
    this.chunks = []
    this.bytesBuffered = 0
    this.bytesNeeded = 4
  }
  return connect.apply(this, args)
}

function args() {
  const out = { chunk: 500 }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1]
  for (const k of ['bootstrap', 'topic', 'partitions', 'count']) {
    if (out[k] === undefined) throw new Error('missing --' + k)
  }
  return out
}

async function main() {
  const a = args()
  const partitions = Number(a.partitions)
  const count = Number(a.count)
  const chunk = Number(a.chunk)
  const kafka = new Kafka({
    clientId: 'freshet-idempotence',
    brokers: [a.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    // the test cuts connections on purpose: retry fast, and never give up
    retry: { initialRetryTime: 50, maxRetryTime: 1000, retries: Number.MAX_SAFE_INTEGER },
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  // connect() (metadata, InitProducerId) is not retried by kafkajs when the connection drops
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.connect()
      break
    } catch (e) {
      if (attempt >= 50) throw e
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }

  const next = new Array(partitions).fill(0)
  let sent = 0
  let sends = 0
  while (sent < count) {
    const messages = []
    for (let i = sent; i < Math.min(count, sent + chunk); i++) {
      const p = i % partitions
      messages.push({ partition: p, value: p + ':' + String(next[p]++).padStart(8, '0') })
    }
    await producer.send({ topic: a.topic, messages })
    sent += messages.length
    sends++
  }
  await producer.disconnect()
  console.log(JSON.stringify({ sent, sends }))
}

main().catch(e => {
  console.error(e && e.stack ? e.stack : e)
  process.exit(1)
})
