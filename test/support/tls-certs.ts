import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private CA and a server certificate it signed, as PEM files, for redis-server's TLS port. */
export interface TestTls {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The CA certificate's PEM text. */
  ca: string;
  remove(): void;
}

/**
 * Made with openssl for one test file: a CA, and a server certificate for 127.0.0.1 and localhost
 * (both as subjectAltName, which is what TLS checks) that the CA signed. P-256 keys: quick to make.
 */
export function makeTestTls(): TestTls {
  const dir = mkdtempSync(join(tmpdir(), 'rjs-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=rjs test CA');
  openssl('req', '-new', ...key, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext'));
  return {
    dir,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    ca: readFileSync(file('ca.crt'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** redis-server's arguments for TLS only (no plain port; cluster bus and replication over TLS too), clients without certificates. */
export function redisServerTlsArgs(tls: TestTls, port: number): string[] {
  return [
    '--port', '0',
    '--tls-port', String(port),
    '--tls-cert-file', tls.certFile,
    '--tls-key-file', tls.keyFile,
    '--tls-ca-cert-file', tls.caFile,
    '--tls-auth-clients', 'no',
    '--tls-cluster', 'yes',
    '--tls-replication', 'yes',
  ];
}
