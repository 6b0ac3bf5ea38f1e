// Child process for bench/delivery.ts: runs one local service on its own core and prints its
// endpoint as a JSON line. `dynalite` or `ses [maxSendRate]` (no rate = a no-op SES endpoint).
import { startDynalite } from '../functions/local/services.ts';
import { startThrottlingSes } from '../tests/support/throttling-ses.ts';

const [kind, rate] = process.argv.slice(2);
if (kind === 'dynalite') {
  const dynamo = await startDynalite();
  console.log(JSON.stringify({ endpoint: dynamo.endpoint }));
} else {
  const ses = await startThrottlingSes({ keepRaw: false, ...(rate ? { maxSendRate: Number(rate) } : {}) });
  console.log(JSON.stringify({ endpoint: ses.endpoint }));
}
process.on('SIGTERM', () => process.exit(0));
