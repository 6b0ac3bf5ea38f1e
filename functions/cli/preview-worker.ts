// Worker thread entry of the compiled CLI (bin/compile-cli.mjs builds it as preview-worker.mjs):
// loads the email libraries at once, then renders the preview emails the build sends while its main
// thread builds the site. See startPreviewWorker.
import { parentPort, workerData } from 'node:worker_threads';
import { answerPreviewRequest, preloadPreviewModules } from './preview-emails.ts';

if (parentPort) {
  const port = parentPort;
  preloadPreviewModules((workerData as { shapeCacheDir?: string } | null)?.shapeCacheDir);
  port.once('message', (request) => answerPreviewRequest(request, (reply) => port.postMessage(reply)));
}
