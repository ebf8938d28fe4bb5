// Consumes `want` records of a topic as a member of a consumer group with
// kafkajs's consumer API, commits exactly what it consumed, and prints the
// [partition, offset] pairs as JSON.  Usage: node group_consume.js BOOTSTRAP TOPIC GROUP WANT
'use strict';
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, topic, groupId, wantStr] = process.argv.slice(2);
  const want = Number(wantStr);
  const kafka = new Kafka({ clientId: 'freshet-group-test', brokers: [bootstrap], logLevel: logLevel.WARN });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  const next = {};
  await new Promise((resolve, reject) => {
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (got.length >= want) return; // past the quota: neither recorded nor committed
        got.push([partition, Number(message.offset)]);
        next[partition] = Number(message.offset) + 1;
        if (got.length >= want) resolve();
      },
    }).catch(reject);
    setTimeout(() => reject(new Error(`only ${got.length} of ${want} records within 60 s`)), 60000).unref();
  });
  await consumer.commitOffsets(Object.entries(next).map(([p, o]) => ({ topic, partition: Number(p), offset: String(o) })));
  await consumer.disconnect();
  process.stdout.write(JSON.stringify(got));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
