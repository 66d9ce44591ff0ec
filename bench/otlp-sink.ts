// Where the bench's traced Turnouts send their spans: an OTLP/HTTP endpoint on loopback that
// accepts every export, counts it, and throws it away, so that what the bench measures is
// what tracing costs Turnout, not what a collector does with the spans.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class OtlpSink {
  /** Export requests received. */
  exports = 0;
  /** Their body bytes. */
  bytes = 0;
  private readonly server: Server;
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        this.bytes += chunk.length;
      });
      req.on('end', () => {
        this.exports += 1;
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
