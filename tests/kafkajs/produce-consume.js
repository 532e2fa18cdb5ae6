// kafkajs against a broker's Kafka-protocol listener: a producer writes keyed records, a consumer group reads them all
// back, and its committed offsets are read back through the admin API. Exits 0 when everything matches, 1 (with the
// reason on stderr) otherwise. Usage: KAFKA_BOOTSTRAP=host:port node produce-consume.js
const { Kafka, logLevel } = require('kafkajs');

const bootstrap = process.env.KAFKA_BOOTSTRAP;
if (!bootstrap) {
  console.error('set KAFKA_BOOTSTRAP to the broker\'s Kafka address (host:port)');
  process.exit(2);
}
const topic = 'kafkajs-orders';
const groupId = 'kafkajs-group';
const count = 300;

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-check', brokers: [bootstrap], logLevel: logLevel.WARN });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i % 10}`, value: `v${i}`, headers: { seq: `${i}` } }));
  for (let i = 0; i < count; i += 50) await producer.send({ topic, messages: messages.slice(i, i + 50), acks: -1 });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = [];
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} records within 60 s`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (message.headers.seq.toString() !== message.value.toString().slice(1)) reject(new Error(`header of ${message.value} is ${message.headers.seq}`));
        if (seen.length === count) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await done;
  await consumer.commitOffsets([]); // eachMessage commits as it goes; this flushes what is pending
  await consumer.disconnect();

  const expected = messages.map(m => m.value);
  if (JSON.stringify(seen) !== JSON.stringify(expected)) throw new Error('records differ from what was sent');

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  const committed = offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0);
  if (committed !== count) throw new Error(`committed offsets add up to ${committed}, not ${count}`);
  console.log(`kafkajs: produced ${count}, consumed ${seen.length} in group ${groupId}, committed ${committed}`);
}

main().then(() => process.exit(0), e => { console.error(`kafkajs check failed: ${e.stack || e}`); process.exit(1); });
