import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNetDev } from './interface-stats.js';

test('parseNetDev reads the counters of the interfaces asked for', () => {
  const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1296      16    1    2    0     0          0         0      656       8    3    4    0     0       0          0
`;
  assert.deepEqual(parseNetDev(text, ['eth0', 'eth1']), {
    eth0: { rx_bytes: 1296, rx_packets: 16, rx_errors: 1, rx_dropped: 2, tx_bytes: 656, tx_packets: 8, tx_errors: 3, tx_dropped: 4 },
  });
});
