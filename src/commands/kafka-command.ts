import type { Command } from 'commander';

export function registerKafkaCommand(program: Command): void {
  program.command('kafka').description('(not yet implemented)').action(() => {
    throw new Error('kafka: not yet implemented');
  });
}
