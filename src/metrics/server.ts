/**
 * The /metrics endpoint of one process: plain node:http, GET /metrics only,
 * on 127.0.0.1 unless told otherwise (metrics name jobs and hosts: keep them
 * off other interfaces unless an operator chooses to expose them).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProcessorMetrics } from './processor-metrics.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export class MetricsServerError extends Error {
  readonly code = 'METRICS_SERVER';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MetricsServerError';
  }
}

export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 = any free port) and serves `metrics`. */
export async function serveMetrics(metrics: ProcessorMetrics, where: { host?: string; port: number }): Promise<MetricsServer> {
  const host = where.host ?? DEFAULT_METRICS_HOST;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('spamzk serves GET /metrics only\n');
      return;
    }
    if (!metrics.ready) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('the processor has not joined its job yet\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
    );
  });
  await listen(server, host, where.port);
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `failed (${err.message})`;
      reject(new MetricsServerError(`metrics port ${host}:${port} ${why}: choose another --metrics-port/--metrics-host`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
