import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { TurnBatchedDestination } from './logging';

/** A stand-in for pino's destination that records what reaches it. */
function recordingTarget() {
  const calls: string[] = [];
  return {
    calls,
    write: (text: string) => calls.push(`write ${JSON.stringify(text)}`),
    flushSync: () => calls.push('flushSync'),
  };
}

describe('TurnBatchedDestination', () => {
  it('writes the lines of one turn of the event loop together, in order, when the turn ends', async () => {
    const target = recordingTarget();
    const destination = new TurnBatchedDestination(target);
    destination.write('a\n');
    destination.write('b\n');
    destination.write('c\n');
    expect(target.calls).toEqual([]);
    await nextTurn();
    expect(target.calls).toEqual(['write "a\\nb\\nc\\n"']);
  });

  it('writes each turn on its own, and nothing for a turn without lines', async () => {
    const target = recordingTarget();
    const destination = new TurnBatchedDestination(target);
    destination.write('first\n');
    await nextTurn();
    await nextTurn();
    destination.write('second\n');
    await nextTurn();
    expect(target.calls).toEqual(['write "first\\n"', 'write "second\\n"']);
  });

  it('logger.flush() writes what is pending before it calls back', () => {
    const target = recordingTarget();
    const logger = pino({ base: undefined, timestamp: false }, new TurnBatchedDestination(target));
    logger.info('pending');
    let writtenWhenCalledBack: string[] = [];
    logger.flush(() => (writtenWhenCalledBack = [...target.calls]));
    expect(writtenWhenCalledBack).toEqual([`write ${JSON.stringify('{"level":30,"msg":"pending"}\n')}`]);
  });

  it('flushSync writes what is pending at once, then flushes the target', async () => {
    const target = recordingTarget();
    const destination = new TurnBatchedDestination(target);
    destination.write('pending\n');
    destination.flushSync();
    expect(target.calls).toEqual(['write "pending\\n"', 'flushSync']);
    await nextTurn();
    expect(target.calls).toHaveLength(2);
  });
});
