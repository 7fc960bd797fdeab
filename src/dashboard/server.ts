/**
 * The status page's HTTP server (node:http, 127.0.0.1 only):
 *   GET /               the page
 *   GET /events         server-sent events: `jobs` (the job list) and `snapshot` (one job's JobSnapshot)
 *   GET /api/jobs       the job list (JSON)
 *   GET /api/jobs/ID    one job's latest JobSnapshot (JSON)
 * A request whose Host is not this loopback address is refused, so a web page
 * elsewhere cannot read the fleet's status through DNS rebinding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPage } from './page.js';
import type { FleetUpdate, FleetWatcher } from './watcher.js';

export const LOOPBACK = '127.0.0.1';
const KEEPALIVE_MS = 15_000;

export interface StatusServerOptions {
  /** 0 picks a free port. */
  port: number;
  root: string;
}

export class DashboardServerError extends Error {
  readonly code = 'DASHBOARD_LISTEN';
  constructor(port: number, cause: unknown) {
    super(`status page could not listen on ${LOOPBACK}:${port}: ${(cause as Error).message}; pick another --port`, { cause });
    this.name = 'DashboardServerError';
  }
}

export class StatusServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly page: string;
  private keepalive: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private port = 0;

  constructor(
    private readonly watcher: FleetWatcher,
    private readonly opts: StatusServerOptions,
  ) {
    this.page = renderPage(opts.root);
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Starts listening on 127.0.0.1; resolves with the page's URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err) => reject(new DashboardServerError(this.opts.port, err)));
      this.server.listen(this.opts.port, LOOPBACK, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.unsubscribe = this.watcher.subscribe((u) => this.broadcast(u));
    this.keepalive = setInterval(() => this.writeAll(': keepalive\n\n'), KEEPALIVE_MS);
    return this.url;
  }

  get url(): string {
    return `http://${LOOPBACK}:${this.port}/`;
  }

  async close(): Promise<void> {
    clearInterval(this.keepalive);
    this.unsubscribe?.();
    for (const res of this.streams) res.end();
    this.streams.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.hostAllowed(req.headers.host)) return void send(res, 421, 'text/plain', 'this server answers only to its own loopback address\n');
    if (req.method !== 'GET') return void send(res, 405, 'text/plain', 'GET only\n');
    const path = new URL(req.url ?? '/', this.url).pathname;
    if (path === '/') return void send(res, 200, 'text/html; charset=utf-8', this.page, PAGE_HEADERS);
    if (path === '/events') return this.openStream(req, res);
    if (path === '/api/jobs') return void send(res, 200, 'application/json', JSON.stringify(this.watcher.jobListing));
    const job = /^\/api\/jobs\/([A-Za-z0-9._-]+)$/.exec(path);
    if (job) {
      const snapshot = this.watcher.snapshot(job[1]!);
      return void (snapshot ? send(res, 200, 'application/json', JSON.stringify(snapshot)) : send(res, 404, 'text/plain', `no job ${job[1]}\n`));
    }
    send(res, 404, 'text/plain', 'not found\n');
  }

  private hostAllowed(host: string | undefined): boolean {
    return host === `${LOOPBACK}:${this.port}` || host === `localhost:${this.port}`;
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    res.write(event({ type: 'jobs', jobs: this.watcher.jobListing }));
    for (const j of this.watcher.jobListing) {
      const snapshot = this.watcher.snapshot(j.jobId);
      if (snapshot) res.write(event({ type: 'snapshot', snapshot }));
    }
    this.streams.add(res);
    req.once('close', () => this.streams.delete(res));
  }

  private broadcast(update: FleetUpdate): void {
    this.writeAll(event(update));
  }

  private writeAll(chunk: string): void {
    for (const res of this.streams) res.write(chunk);
  }
}

const PAGE_HEADERS = {
  // Self-contained: nothing may load from anywhere, and the page talks only to this server.
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function event(update: FleetUpdate): string {
  const data = update.type === 'jobs' ? update.jobs : update.snapshot;
  return `event: ${update.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}
