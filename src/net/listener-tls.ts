// The TLS side of one listener: its certificate, key and client CAs, the servers that use
// them, and their reload. A change to the files (watched, see watched-files.ts) is read and
// checked (PEM parses, the key belongs to the certificate) before any server takes it; then
// every server of the listener gets it through setSecureContext, so new handshakes use it and
// open connections carry on with theirs. Files that do not check keep the certificate in
// effect, and the reason is logged.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { PrincipalMappingRules } from '../auth/principal-mapping-rules.js';
import type { Logger } from '../observability/logger.js';
import type { ListenerTlsConfig } from '../policy/config.js';
import { watchFiles, type FileWatch } from './watched-files.js';

/** How long a client may take over its TLS handshake before its connection is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The listener's TLS files could not be read or do not make a usable certificate. */
export class ListenerTlsError extends Error {
  readonly listener: string;
  constructor(listener: string, reason: string, cause?: unknown) {
    super(`listener ${listener}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'ListenerTlsError';
    this.listener = listener;
  }
}

interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
}

function sameFiles(a: TlsFiles, b: TlsFiles): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && (a.ca === undefined) === (b.ca === undefined) && (a.ca === undefined || a.ca.equals(b.ca as Buffer));
}

/** What the logs say about a certificate. */
function describe(cert: Buffer): { subject: string; validTo: string; fingerprint256: string } {
  const x = new X509Certificate(cert);
  return { subject: x.subject.replace(/\n/g, ', '), validTo: x.validTo, fingerprint256: x.fingerprint256 };
}

export class ListenerTls {
  readonly config: ListenerTlsConfig;
  /** Maps a verified client certificate's subject to a principal name. */
  readonly rules: PrincipalMappingRules;
  private readonly listener: string;
  private readonly log: Logger;
  private files: TlsFiles;
  private readonly servers = new Set<tls.Server>();
  private watch: FileWatch | null = null;
  private reloading: Promise<unknown> = Promise.resolve();

  /** Reads and checks the files now; throws ListenerTlsError naming what is wrong. */
  constructor(listener: string, config: ListenerTlsConfig, log: Logger) {
    this.listener = listener;
    this.config = config;
    this.log = log.child({ listener, component: 'listener-tls' });
    this.rules = PrincipalMappingRules.parse(config.principalMappingRules);
    const read = (file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new ListenerTlsError(listener, `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
    };
    this.files = this.check({ cert: read(config.certFile), key: read(config.keyFile), ca: config.caFile === undefined ? undefined : read(config.caFile) });
    this.log.info({ clientAuth: config.clientAuth, certificate: describe(this.files.cert) }, 'listener TLS certificate loaded');
  }

  /** Options for a tls.Server of this listener, with the files in effect. */
  serverOptions(): tls.TlsOptions {
    return {
      ...this.contextOptions(),
      requestCert: this.config.clientAuth !== 'none',
      // `requested` lets a client without a certificate in; one with a bad certificate is
      // refused once the handshake is done (listener-group.ts), as a broker refuses it.
      rejectUnauthorized: this.config.clientAuth === 'required',
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    };
  }

  /** Gives `server` every later change of the files. */
  attach(server: tls.Server): void {
    this.servers.add(server);
    if (this.watch === null) {
      const files = [this.config.certFile, this.config.keyFile, ...(this.config.caFile === undefined ? [] : [this.config.caFile])];
      this.watch = watchFiles(files, this.config.reloadDebounceMs, this.log, () => void this.reload());
    }
  }

  /**
   * Reads the files again and hands a changed, valid set to every server. Resolves with what
   * happened; never rejects (a bad set is logged and the one in effect stays).
   */
  reload(): Promise<'unchanged' | 'reloaded' | 'kept'> {
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next;
    return next;
  }

  close(): void {
    this.watch?.close();
    this.watch = null;
    this.servers.clear();
  }

  private async reloadNow(): Promise<'unchanged' | 'reloaded' | 'kept'> {
    let files: TlsFiles;
    try {
      const [cert, key, ca] = await Promise.all([
        readFile(this.config.certFile),
        readFile(this.config.keyFile),
        this.config.caFile === undefined ? undefined : readFile(this.config.caFile),
      ]);
      files = { cert, key, ca };
      if (sameFiles(files, this.files)) return 'unchanged';
      files = this.check(files);
    } catch (err) {
      this.log.warn({ err }, 'listener TLS files changed but cannot be used: keeping the certificate in effect');
      return 'kept';
    }
    const previous = describe(this.files.cert);
    this.files = files;
    const options = this.contextOptions();
    for (const server of this.servers) server.setSecureContext(options);
    this.log.info({ certificate: describe(files.cert), previous }, 'listener TLS certificate reloaded: new connections use it');
    return 'reloaded';
  }

  /** Throws ListenerTlsError unless the files make a context (PEM parses, key matches). */
  private check(files: TlsFiles): TlsFiles {
    try {
      tls.createSecureContext({ cert: files.cert, key: files.key, ca: files.ca });
      if (files.ca !== undefined) new X509Certificate(files.ca);
      describe(files.cert);
    } catch (err) {
      throw new ListenerTlsError(this.listener, `TLS files do not make a certificate: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    return files;
  }

  private contextOptions(): tls.SecureContextOptions {
    return { cert: this.files.cert, key: this.files.key, ...(this.files.ca === undefined ? {} : { ca: this.files.ca }) };
  }
}
