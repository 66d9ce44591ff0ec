// The cases of Kafka's SslPrincipalMapperTest, so that rules a broker accepts (or refuses) and
// the names they give are the same here.
import { describe, expect, it } from 'vitest';
import { NoMatchingRuleError, PrincipalMappingRuleError, PrincipalMappingRules } from '../../../src/auth/principal-mapping-rules.js';

describe('principal mapping rules', () => {
  it.each([
    'DEFAULT',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT',
    'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/',
    'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
    'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U',
    'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/',
    'RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/',
  ])('accepts %s', (rules) => {
    expect(() => PrincipalMappingRules.parse(rules)).not.toThrow();
  });

  it.each([
    'default',
    'DEFAUL',
    'DEFAULT/L',
    'DEFAULT/U',
    'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
    'rule:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/L',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU',
  ])('refuses %s', (rules) => {
    expect(() => PrincipalMappingRules.parse(rules)).toThrow(PrincipalMappingRuleError);
  });

  it('maps subjects with the first rule that matches', () => {
    const rules = PrincipalMappingRules.parse(
      [
        'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
        'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
        'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
        'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
        'DEFAULT',
      ].join(', '),
    );
    expect(rules.map('CN=Duke,OU=ServiceUsers,O=Org,C=US')).toBe('duke');
    expect(rules.map('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US')).toBe('duke@sme');
    expect(rules.map('cn=duke,ou=sme,dc=mycp,dc=com')).toBe('DUKE@SME');
    expect(rules.map('cN=duke,OU=JavaSoft,O=Sun Microsystems')).toBe('DUKE');
    expect(rules.map('OU=JavaSoft,O=Sun Microsystems,C=US')).toBe('OU=JavaSoft,O=Sun Microsystems,C=US');
  });

  it.each([
    ['[]', ''],
    ['[DEFAULT]', 'DEFAULT'],
    ['[RULE:/]', 'RULE://'],
    ['[RULE:/.*]', 'RULE:/.*/'],
    ['[RULE:/.*/L]', 'RULE:/.*/L'],
    ['[RULE:/, DEFAULT]', 'RULE://,DEFAULT'],
    ['[RULE:/, DEFAULT]', '  RULE:// ,  DEFAULT  '],
    ['[RULE:   /     , DEFAULT]', '  RULE:   /     / ,  DEFAULT  '],
    ['[RULE:  /     /U, DEFAULT]', '  RULE:  /     /U   ,DEFAULT  '],
    ['[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]', '  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  '],
    // empty rules are ignored
    ['[]', ',   , , ,      , , ,   '],
    ['[RULE:/, DEFAULT]', ',,RULE://,,,DEFAULT,,'],
    ['[RULE: /   , DEFAULT]', ',  , RULE: /   /    ,,,   DEFAULT, ,   '],
    ['[RULE:   /  /U, DEFAULT]', '     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,'],
    // escape sequences
    ['[RULE:\\/\\\\\\(\\)\\n\\t/\\/\\/]', 'RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//'],
    ['[RULE:\\**\\/+/*/L, RULE:\\/*\\**/**]', 'RULE:\\**\\/+/*/L,RULE:\\/*\\**/**/'],
    // rules rule
    [
      '[RULE:,RULE:,/,RULE:,\\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]',
      'RULE:,RULE:,/,RULE:,\\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT',
    ],
  ])('splits into %s: %j', (expected, text) => {
    expect(PrincipalMappingRules.parse(text).toString()).toBe(expected);
  });

  it('keeps an escaped comma inside a name', () => {
    const rules = PrincipalMappingRules.parse('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT');
    expect(rules.map('CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz')).toBe('Tkac\\, Adam');
  });

  it('has no principal for a subject no rule matches', () => {
    const rules = PrincipalMappingRules.parse('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/');
    expect(() => rules.map('CN=alice,OU=Staff')).toThrow(NoMatchingRuleError);
  });

  it('writes a reference to a missing group literally, as Kafka does', () => {
    const rules = PrincipalMappingRules.parse('RULE:^CN=(.*?),.*$/$1@$4/');
    expect(rules.map('CN=alice,OU=x')).toBe('alice@$4');
  });

  it('reads $12 as group 1 and a 2 when the pattern has one group', () => {
    const rules = PrincipalMappingRules.parse('RULE:^CN=(.*?),.*$/$12/');
    expect(rules.map('CN=alice,OU=x')).toBe('alice2');
  });

  it('replaces every match of the pattern, as replaceAll does', () => {
    const rules = PrincipalMappingRules.parse('RULE:.*/x/');
    expect(rules.map('CN=alice')).toBe('xx');
  });

  it('refuses at load a replacement that could never apply', () => {
    expect(() => PrincipalMappingRules.parse('RULE:^CN=.*$/$1/')).toThrow(/no group 1/);
    expect(() => PrincipalMappingRules.parse('RULE:^CN=(.*)$/$x/')).toThrow(/group number/);
  });

  it('refuses a pattern JavaScript cannot compile', () => {
    expect(() => PrincipalMappingRules.parse('RULE:^CN=(.*$/$1/')).toThrow(PrincipalMappingRuleError);
  });
});
