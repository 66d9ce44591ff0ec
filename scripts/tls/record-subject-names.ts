// Records how Java names certificate subjects, for the unit tests of src/auth/tls-principal.ts:
// openssl issues a certificate per subject below (escapes, multi-valued RDNs, every string
// type, attributes Java writes as OIDs), and the JDK's X500Principal.getName() (what Kafka's
// default principal builder maps) names each one. Writes test/fixtures/tls/subject-names.json.
//
//   npx tsx scripts/tls/record-subject-names.ts      (needs openssl and a JDK on PATH)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface SubjectCase {
  name: string;
  /** openssl's -subj syntax. */
  subject: string;
  /** openssl's string_mask: `default` lets it pick T61String and BMPString. (default: utf8only) */
  stringMask?: 'default' | 'utf8only' | 'pkix';
}

const CASES: SubjectCase[] = [
  { name: 'most specific attribute first', subject: '/C=US/ST=MD/L=Fulton/O=mycp/OU=SME/CN=Duke' },
  { name: 'common name only', subject: '/CN=turnout-client' },
  { name: 'special characters escaped', subject: '/CN=a\\,b\\+c=d<e>f#g;h"i\\\\j/O=#lead/OU= spaced ' },
  { name: 'inner spaces kept', subject: '/CN=two  spaces here/O=x' },
  { name: 'multi-valued RDN, DC, UID and email', subject: '/DC=com/DC=example/O=acme/CN=alice+UID=a1/emailAddress=alice@example.com' },
  { name: 'UTF8String', subject: '/CN=Jürgen Ωmega 東京/O=Zero' },
  { name: 'T61String, BMPString and attributes named by OID', subject: '/CN=Jürgen/O=Ωmega/L=東京/serialNumber=1234/title=Dr/GN=Ann/street=1 Main St/DC=org', stringMask: 'default' },
  { name: 'control characters', subject: '/O=tab\there/CN=ctl' },
];

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'test', 'fixtures', 'tls', 'subject-names.json');
const dir = mkdtempSync(join(tmpdir(), 'turnout-subjects-'));
try {
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  const files = CASES.map((c, i) => {
    const config = join(dir, `req-${i}.cnf`);
    writeFileSync(config, `[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = ${c.stringMask ?? 'utf8only'}\n[dn]\nCN = unused\n`);
    const file = join(dir, `cert-${i}.pem`);
    const san = ['-addext', 'subjectAltName=DNS:localhost'];
    execFileSync('openssl', ['req', '-config', config, '-new', '-x509', '-key', key, '-days', '3650', '-utf8', '-subj', c.subject, ...san, '-out', file]);
    return file;
  });
  const printed = execFileSync('java', [join(here, 'SubjectNames.java'), ...files], { encoding: 'utf8' });
  const names = new Map(printed.trimEnd().split('\n').map((line) => {
    const tab = line.indexOf('\t');
    return [line.slice(0, tab), JSON.parse(`"${line.slice(tab + 1).replace(/"/g, '\\"')}"`) as string];
  }));
  // `java -version` writes to stderr.
  const javaVersion = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr;
  const records = CASES.map((c, i) => ({
    name: c.name,
    opensslSubject: c.subject,
    certificate: readFileSync(files[i], 'utf8'),
    javaName: names.get(files[i]),
  }));
  writeFileSync(out, `${JSON.stringify({ recordedWith: javaVersion.split('\n')[0] ?? '', subjects: records }, null, 2)}\n`);
  process.stdout.write(`wrote ${records.length} subjects to ${out}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
