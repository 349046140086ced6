export { dispatch } from './dispatch.ts';
export { UsageError, type Command, type CommandIo } from './command.ts';
