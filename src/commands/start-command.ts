import type { Command } from 'commander';

export function registerStartCommand(program: Command): void {
  program.command('start').description('(not yet implemented)').action(() => {
    throw new Error('start: not yet implemented');
  });
}
