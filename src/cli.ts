#!/usr/bin/env node
// The `turnout` command. Each subcommand lives in its own module under src/commands.
import { Command } from 'commander';
import { registerStartCommand } from './commands/start-command.js';
import { registerKafkaCommand } from './commands/kafka-command.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerDomainsCommand } from './commands/domains-command.js';
import { registerAclCommand } from './commands/acl-command.js';
import { registerUsersCommand } from './commands/users-command.js';
import { registerCutoverCommand } from './commands/cutover-command.js';

const program = new Command();
program
  .name('turnout')
  .description('Kafka protocol proxy and router: one virtual cluster over many Kafka clusters')
  .version('0.1.0');

registerStartCommand(program);
registerKafkaCommand(program);
registerDemoCommand(program);
registerDomainsCommand(program);
registerAclCommand(program);
registerUsersCommand(program);
registerCutoverCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`turnout: ${message}\n`);
  process.exitCode = 1;
});
