import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status this receiver answered (undefined: it never answered, e.g. held past the sender's timeout). */
  answered?: number;
}

/** What to do with a request: answer a status, or hold it without an answer (`hold`). */
export type ReceiverBehaviour = (request: ReceivedRequest, index: number) => number | 'hold';

/**
 * A real HTTP webhook receiver on a fixed port of 127.0.0.1: it records every request, answers as
 * `behave` says (fail, hold past the sender's timeout), and can go down and come back on the same
 * port.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  behave: ReceiverBehaviour = () => 204;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  private port = 0;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Requests answered 2xx: what a receiver has accepted. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.answered !== undefined && r.answered >= 200 && r.answered < 300);
  }

  async up(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedRequest = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
        const index = this.requests.push(received) - 1;
        const answer = this.behave(received, index);
        if (answer === 'hold') {
          this.held.add(response);
          response.on('close', () => this.held.delete(response));
          return;
        }
        received.answered = answer;
        response.writeHead(answer).end();
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Down: connections are cut and refused until up() again. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
