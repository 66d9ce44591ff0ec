import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertificateNameError, subjectName } from '../../../src/auth/x500-name.js';

interface RecordedSubject {
  name: string;
  opensslSubject: string;
  certificate: string;
  javaName: string;
}

// Certificates issued by openssl and named by the JDK's X500Principal.getName()
// (scripts/tls/record-subject-names.ts).
const recorded = JSON.parse(readFileSync(new URL('../../fixtures/tls/subject-names.json', import.meta.url), 'utf8')) as {
  subjects: RecordedSubject[];
};

function der(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

describe('certificate subjects in RFC 2253 form, as Java names them', () => {
  for (const s of recorded.subjects) {
    it(`names ${s.name} as Java does (${s.opensslSubject})`, () => {
      expect(subjectName(der(s.certificate))).toBe(s.javaName);
    });
  }

  it('puts the most specific attribute first', () => {
    const first = recorded.subjects[0];
    expect(subjectName(der(first.certificate))).toBe('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US');
  });

  it('refuses a truncated certificate with where it stopped', () => {
    const cert = der(recorded.subjects[0].certificate);
    expect(() => subjectName(cert.subarray(0, 120))).toThrow(CertificateNameError);
  });

  it('refuses bytes that are no certificate', () => {
    expect(() => subjectName(Buffer.from('not a certificate'))).toThrow(CertificateNameError);
    expect(() => subjectName(Buffer.alloc(0))).toThrow(CertificateNameError);
  });

  it('refuses a length that claims more bytes than there are', () => {
    const cert = Buffer.from(der(recorded.subjects[1].certificate));
    cert[1] = 0x84;
    cert.writeUInt32BE(0x7fffffff, 2);
    expect(() => subjectName(cert)).toThrow(/runs past/);
  });
});
