import { createInterface } from 'node:readline/promises';

/**
 * Asks the operator on the terminal to type `word`. Without a terminal (a script, CI) there is nobody to ask:
 * returns 'no-terminal' so the command refuses and asks for --yes.
 */
export async function confirmOnTerminal(question: string, word: string): Promise<'yes' | 'no' | 'no-terminal'> {
  if (process.stdin.isTTY !== true) return 'no-terminal';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} Type "${word}" to proceed: `);
    return answer.trim() === word ? 'yes' : 'no';
  } finally {
    rl.close();
  }
}
