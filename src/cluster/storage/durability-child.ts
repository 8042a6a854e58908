// A writer for the durability test: creates keys under a prefix through the real backend, four at
// a time, and prints "ack <key> <revision>" once each create resolves, until it is killed.
import { openStorage } from './open.js';

const [endpoint, prefix] = process.argv.slice(2);
if (endpoint === undefined || prefix === undefined) {
  process.stderr.write('usage: durability-child ENDPOINT PREFIX\n');
  process.exit(2);
}
const store = openStorage(endpoint);
let next = 0;
async function writer(): Promise<void> {
  for (;;) {
    const key = `${prefix}obj-${next++}`;
    const revision = await store.create(key, Buffer.from(JSON.stringify({ key, pad: 'x'.repeat(200) })));
    process.stdout.write(`ack ${key} ${revision}\n`);
  }
}
Promise.all([writer(), writer(), writer(), writer()]).catch((err: unknown) => {
  process.stderr.write(`durability-child: ${String(err)}\n`);
  process.exit(1);
});
