// A slow-drip client for the servers' timeout tests: it sends a request's headers announcing a body of
// 100,000 bytes, then drips one byte every 100 ms, and resolves with what the server answered once the
// server closes the connection (rejects if it is still held after `patienceMs`).
import net from 'node:net';

export async function dripBody(
  url: string,
  path: string,
  headers: Record<string, string> = {},
  patienceMs = 20_000,
): Promise<string> {
  const { hostname, port } = new URL(url);
  const sock = net.connect(Number(port), hostname);
  sock.on('error', () => {});
  let received = '';
  sock.on('data', (d) => {
    received += d.toString('latin1');
  });
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const head = {
    host: `${hostname}:${port}`,
    'content-type': 'application/json',
    'content-length': '100000',
    ...headers,
  };
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`);
  sock.write(`POST ${path} HTTP/1.1\r\n${lines.join('')}\r\n{`);
  const drip = setInterval(() => sock.writable && sock.write(' '), 100);
  try {
    await Promise.race([
      closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('the connection is still held')), patienceMs)),
    ]);
  } finally {
    clearInterval(drip);
    sock.destroy();
  }
  return received;
}
