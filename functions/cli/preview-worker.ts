// Worker thread entry of the compiled CLI (bin/compile-cli.mjs builds it as preview-worker.mjs):
// renders a build's preview emails while the main thread builds the site. See startPreviewEmails.
import { parentPort, workerData } from 'node:worker_threads';
import { answerPreviewRequest } from './preview-emails.ts';

if (parentPort) {
  const port = parentPort;
  await answerPreviewRequest(workerData, (reply) => port.postMessage(reply));
}
