// The admin port of several Turnout processes, served by their primary:
//   GET /metrics  every worker's metrics, summed per series (prom-client's AggregatorRegistry
//                 asks each worker over the cluster channel)
//   GET /healthz  200 while the primary runs (it exits when its workers keep crashing)
//   GET /readyz   200 when every worker is running and answers its own /readyz with 200; the
//                 body names each worker (index, pid, restarts, its admin port) and what it lacks
//   anything else is passed to one running worker's own admin endpoint, in turn: the domain,
//                 ACL and cutover commands change state through the store every worker
//                 reads (Redis), so it does not matter which worker takes them.
import http from 'node:http';
import { closeAdminHttp, createAdminHttpServer, listenAdminHttp } from '../admin/admin-http.js';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { WorkerView } from './worker-supervisor.js';

export interface PrimaryAdminOptions {
  host: string;
  port: number;
  workers: () => WorkerView[];
  log: Logger;
  /** How long a worker gets to answer its /readyz, in ms. (default: 2000) */
  workerTimeoutMs?: number;
}

interface WorkerReadiness extends WorkerView {
  ready: boolean;
  reasons: string[];
}

export class PrimaryAdmin {
  private readonly server: http.Server;
  private readonly aggregator = new AggregatorRegistry();
  private nextWorker = 0;

  constructor(private readonly opts: PrimaryAdminOptions) {
    this.server = createAdminHttpServer((req, res) => this.handle(req, res), opts.log);
  }

  listen(): Promise<number> {
    return listenAdminHttp(this.server, { host: this.opts.host, port: this.opts.port });
  }

  close(): Promise<void> {
    return closeAdminHttp(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') return this.metrics(res);
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (req.method === 'GET' && path === '/readyz') return this.readyz(res);
    this.forward(req, res);
  }

  private async metrics(res: http.ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await this.aggregator.clusterMetrics();
    } catch (err) {
      // A worker that died while asked never answers: prom-client times the request out.
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`metrics not collected from every worker: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': this.aggregator.contentType });
    res.end(body);
  }

  private async readyz(res: http.ServerResponse): Promise<void> {
    const workers = await Promise.all(this.opts.workers().map((w) => this.workerReadiness(w)));
    const reasons = workers.flatMap((w) => w.reasons.map((r) => `worker ${w.index}: ${r}`));
    const ready = reasons.length === 0;
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ ready, reasons, workers })}\n`);
  }

  private async workerReadiness(w: WorkerView): Promise<WorkerReadiness> {
    if (w.pid === null) return { ...w, ready: false, reasons: ['not running (being restarted)'] };
    if (w.adminPort === null) return { ...w, ready: false, reasons: ['starting'] };
    try {
      const r = await fetch(`http://127.0.0.1:${w.adminPort}/readyz`, { signal: AbortSignal.timeout(this.opts.workerTimeoutMs ?? 2_000) });
      const report = (await r.json()) as { reasons?: unknown };
      const reasons = Array.isArray(report.reasons) ? report.reasons.map(String) : [];
      if (r.status !== 200 && reasons.length === 0) reasons.push(`readyz answered ${r.status}`);
      return { ...w, ready: r.status === 200, reasons };
    } catch (err) {
      return { ...w, ready: false, reasons: [`readyz not answered: ${err instanceof Error ? err.message : String(err)}`] };
    }
  }

  /** Passes a request to the next running worker's own endpoint, as it came. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const running = this.opts.workers().filter((w): w is WorkerView & { adminPort: number } => w.adminPort !== null);
    if (running.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('no worker is running\n');
      return;
    }
    const worker = running[this.nextWorker++ % running.length];
    const upstream = http.request({ host: '127.0.0.1', port: worker.adminPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      this.opts.log.warn({ err, worker: worker.index, url: req.url }, 'admin request to a worker failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`worker ${worker.index} did not answer: ${err.message}\n`);
    });
    req.pipe(upstream);
  }
}
