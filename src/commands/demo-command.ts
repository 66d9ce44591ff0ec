import type { Command } from 'commander';

export function registerDemoCommand(program: Command): void {
  program.command('demo').description('(not yet implemented)').action(() => {
    throw new Error('demo: not yet implemented');
  });
}
