// Worker thread entry of the compiled CLI (bin/compile-cli.mjs builds it as markdown-worker.mjs): renders
// the Markdown of the bodies the build sends as their Liquid is rendered. See startMarkdownAhead.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { renderMarkdownReport } from '../core/render-markdown.ts';
import {
  DONE,
  FREE,
  type MarkdownReply,
  type MarkdownRequest,
  type MarkdownWorkerData,
  WORKER,
} from './markdown-ahead.ts';

if (parentPort) {
  const requests = parentPort;
  const { claims: buffer, results } = workerData as MarkdownWorkerData;
  const claims = new Int32Array(buffer);
  const pending: MarkdownRequest[] = [];
  let scheduled = false;
  const reply = (message: MarkdownReply) => results.postMessage(message);
  // Newest first: the Liquid is rendered oldest first, and the site needs the newest posts' pages first.
  const work = () => {
    scheduled = false;
    for (;;) {
      for (let m = receiveMessageOnPort(requests); m; m = receiveMessageOnPort(requests)) {
        pending.push(m.message as MarkdownRequest);
      }
      const request = pending.pop();
      if (!request) return;
      const { seq, body } = request;
      if (Atomics.compareExchange(claims, seq, FREE, WORKER) !== FREE) continue;
      try {
        const { html, removed } = renderMarkdownReport(body);
        reply({ seq, html, removed });
      } catch {
        reply({ seq, failed: true });
      }
      Atomics.store(claims, seq, DONE);
      Atomics.notify(claims, seq);
    }
  };
  requests.on('message', (request: MarkdownRequest) => {
    pending.push(request);
    if (!scheduled) {
      scheduled = true;
      setImmediate(work);
    }
  });
}
