import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

const RUN_WITHIN_MS = 100;

/**
 * A TCP proxy in front of a redis-server that loses an answer the way a crash or a network failure
 * does: the first command whose bytes hold a marker is forwarded and runs, its answer is dropped, and
 * then every connection is cut. The client cannot know whether the command ran. After the cut the
 * proxy either stops listening until heal() (Redis is down: connections are refused), or goes on
 * at once (a network blip, or a Redis that was back before the client reconnected).
 */
export class AnswerLosingProxy {
  private readonly connections = new Set<Socket>();
  private marker?: Buffer;
  private refuseAfterCut = false;
  private readonly port: number;
  /** Answers lost so far. */
  lost = 0;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {
    this.port = (server.address() as AddressInfo).port;
  }

  static async start(targetPort: number): Promise<AnswerLosingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new AnswerLosingProxy(server, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The next command that carries `marker` runs in Redis and its answer is lost; with `refuse`, connections are refused until heal(). */
  loseAnswerTo(marker: string, then: 'refuse' | 'reconnect'): void {
    this.marker = Buffer.from(marker);
    this.refuseAfterCut = then === 'refuse';
  }

  /** Listens again after a cut that refuses connections. */
  async heal(): Promise<void> {
    if (this.server.listening) return;
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.cutAll();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.connections.add(client).add(upstream);
    let doomed = false;
    client.on('data', (chunk: Buffer) => {
      if (this.marker && chunk.includes(this.marker)) {
        this.marker = undefined;
        doomed = true;
        // Redis has run the command well within this; its answer (and any other) goes nowhere.
        setTimeout(() => {
          this.lost++;
          if (this.refuseAfterCut) this.server.close();
          this.cutAll();
        }, RUN_WITHIN_MS);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!doomed) client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.connections.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
  }

  private cutAll(): void {
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
  }
}
