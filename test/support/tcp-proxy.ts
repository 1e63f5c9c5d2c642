/**
 * A TCP proxy in front of a real server, to cut it off the way a network failure or a crashed
 * database would: `cut()` drops every connection and refuses new ones; `restore()` brings it back.
 * `silence()` is the nastier failure: packets are dropped but nothing is closed (a dead NAT entry, a
 * firewall that drops, a peer that vanished) — every connection open at that moment stays silent
 * for good, like a real dead path, and new connections are accepted but silent too until `heal()`.
 * (A hung server is simulated on the server itself: a table lock, CLIENT PAUSE.)
 */
import net, { type AddressInfo } from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Connections whose bytes are dropped (silently, nothing is closed). */
  private readonly silenced = new Set<net.Socket>();
  private silent = false;
  port = 0;

  constructor(private readonly targetPort: number, private readonly targetHost = '127.0.0.1') {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** Drops all connections and stops listening (connection refused). */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  async restore(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }

  /** Drops every byte in both directions from now on, without closing anything; new connections too until heal(). */
  silence(): void {
    this.silent = true;
    for (const s of this.sockets) this.blackHole(s);
  }

  /** New connections work again; the ones silenced stay dead (as after a real network failure). */
  heal(): void {
    this.silent = false;
  }

  async close(): Promise<void> {
    for (const s of this.silenced) s.destroy();
    this.silenced.clear();
    await this.cut();
  }

  private blackHole(socket: net.Socket): void {
    socket.unpipe();
    socket.removeAllListeners('data');
    socket.on('data', () => undefined); // read and drop, so the peer's writes succeed and nothing errors
    this.sockets.delete(socket);
    this.silenced.add(socket);
  }

  private accept(client: net.Socket): void {
    if (this.silent) {
      client.on('error', () => undefined);
      this.blackHole(client);
      return;
    }
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }
}

/** Polls `check` until it returns true; resolves with the elapsed milliseconds, or rejects after `timeoutMs`. */
export async function within(timeoutMs: number, check: () => Promise<boolean> | boolean, stepMs = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
