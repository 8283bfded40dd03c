import { createServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = 'error500' | 'error429' | 'hangBeforeForwarding' | 'hangAfterForwarding';
const FAULTS: Fault[] = ['error500', 'error429', 'hangBeforeForwarding', 'hangAfterForwarding'];

export interface ChaosProxyOptions {
  /** Share of requests (0..1) that get a fault instead of a plain answer. */
  faultRate: number;
  /** How long a hanging request is held before its connection is dropped (longer than the client's timeout). */
  hangMs: number;
  /** Watch requests get faults too (an error status on opening), unless false. */
  faultWatches?: boolean;
  /** A seeded random source makes a run repeatable. */
  random?: () => number;
}

/**
 * An HTTP proxy in front of a (fake) Kubernetes API server that breaks a share of the calls the way
 * real networks and API servers do: 500 and 429 answers, requests that never get an answer, and
 * requests that reach the server but whose answer is lost (the create happened; the client must
 * find that out). Watches are streamed through; cutting them is the fake server's job.
 */
export class ChaosProxy {
  readonly faults: Record<Fault, number> = { error500: 0, error429: 0, hangBeforeForwarding: 0, hangAfterForwarding: 0 };
  forwarded = 0;
  blackHoled = 0;
  /** Watch requests held without an answer while true (a black hole), until released. */
  blackHoleWatches = false;
  private readonly held = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;
  private readonly server: Server;

  private constructor(
    private readonly target: URL,
    private readonly options: ChaosProxyOptions,
  ) {
    this.random = options.random ?? Math.random;
    this.server = createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(target: string, options: ChaosProxyOptions): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(new URL(target), options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Faults may be switched off (rate 0) to let a test settle. */
  set faultRate(rate: number) {
    this.options.faultRate = rate;
  }

  get injected(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  /** Watch requests held in the black hole so far. */
  get heldWatches(): number {
    return this.held.size;
  }

  /** Drops the connections of black-holed watches (the client sees them fail). */
  releaseHeld(): void {
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const watch = /[?&]watch=(true|1)\b/.test(request.url ?? '');
    if (watch && this.blackHoleWatches) {
      this.held.add(request.socket);
      this.blackHoled++;
      return;
    }
    const fault = (!watch || this.options.faultWatches !== false) && this.random() < this.options.faultRate ? FAULTS[Math.floor(this.random() * FAULTS.length)] : undefined;
    // A watch that never answers is the black hole above; here it gets error statuses only.
    const effective = watch && fault?.startsWith('hang') ? 'error500' : fault;
    if (effective) this.faults[effective]++;
    switch (effective) {
      case 'error500':
      case 'error429': {
        const code = effective === 'error500' ? 500 : 429;
        request.resume();
        response.writeHead(code, { 'content-type': 'application/json', ...(code === 429 ? { 'retry-after': '1' } : {}) });
        response.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason: code === 429 ? 'TooManyRequests' : 'InternalError', message: `chaos: ${code}` }));
        return;
      }
      case 'hangBeforeForwarding':
        request.resume();
        setTimeout(() => request.socket.destroy(), this.options.hangMs).unref();
        return;
      default:
        this.forward(request, response, effective === 'hangAfterForwarding');
    }
  }

  private forward(request: IncomingMessage, response: ServerResponse, loseAnswer: boolean): void {
    this.forwarded++;
    const upstream = httpRequest(
      { host: this.target.hostname, port: this.target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        if (loseAnswer) {
          // The server did the work; the client never hears of it.
          answer.resume();
          setTimeout(() => request.socket.destroy(), this.options.hangMs).unref();
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        // A stream the server cuts is cut for the client too, not ended cleanly.
        answer.on('error', () => response.destroy());
        answer.on('aborted', () => response.destroy());
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  }
}
