import { BACKOFF_LIMIT_MESSAGE, judgeFailedAttempt, matchFailurePolicy } from './failure-policy';
import type { FailurePolicy, FailurePolicyAction, FailurePolicyRule } from './job-spec';

const rule = (action: FailurePolicyAction, operator: 'In' | 'NotIn', ...values: number[]): FailurePolicyRule => ({
  action,
  onExitCodes: { operator, values },
});
const policy = (...rules: FailurePolicyRule[]): FailurePolicy => ({ rules });

describe('matchFailurePolicy', () => {
  it.each([
    { name: 'no policy', policy: undefined, exitCode: 1, expected: undefined },
    { name: 'In matches a listed code', policy: policy(rule('FailJob', 'In', 42)), exitCode: 42, expected: { action: 'FailJob', ruleIndex: 0 } },
    { name: 'In does not match an unlisted code', policy: policy(rule('FailJob', 'In', 42)), exitCode: 1, expected: undefined },
    { name: 'NotIn matches an unlisted code', policy: policy(rule('Ignore', 'NotIn', 1, 2)), exitCode: 3, expected: { action: 'Ignore', ruleIndex: 0 } },
    { name: 'NotIn does not match a listed code', policy: policy(rule('Ignore', 'NotIn', 1, 2)), exitCode: 2, expected: undefined },
    { name: 'exit code 0 never matches NotIn', policy: policy(rule('FailJob', 'NotIn', 1)), exitCode: 0, expected: undefined },
    {
      name: 'the first matching rule wins',
      policy: policy(rule('Count', 'In', 5), rule('Ignore', 'In', 7), rule('FailJob', 'NotIn', 9)),
      exitCode: 7,
      expected: { action: 'Ignore', ruleIndex: 1 },
    },
    {
      name: 'a later rule matches when earlier ones do not',
      policy: policy(rule('Count', 'In', 5), rule('Ignore', 'In', 7), rule('FailJob', 'NotIn', 9)),
      exitCode: 8,
      expected: { action: 'FailJob', ruleIndex: 2 },
    },
  ])('$name', ({ policy, exitCode, expected }) => {
    const match = matchFailurePolicy(policy, exitCode);
    expect(match && { action: match.action, ruleIndex: match.ruleIndex }).toEqual(expected);
  });
});

describe('judgeFailedAttempt', () => {
  const base = { attemptName: 'job-a-1', countedFailures: 0, backoffLimit: 0 };

  it.each([
    { name: 'backoffLimit 0: the first failure fails the job', attempt: { ...base, exitCode: 1 }, kind: 'fail', counted: true, reason: 'BackoffLimitExceeded' },
    { name: 'below the limit: retry and count', attempt: { ...base, exitCode: 1, backoffLimit: 2, countedFailures: 1 }, kind: 'retry', counted: true },
    { name: 'at the limit: fail', attempt: { ...base, exitCode: 1, backoffLimit: 2, countedFailures: 2 }, kind: 'fail', counted: true, reason: 'BackoffLimitExceeded' },
    {
      name: 'Ignore retries without counting, even past the limit',
      attempt: { ...base, exitCode: 7, countedFailures: 5, failurePolicy: policy(rule('Ignore', 'In', 7)) },
      kind: 'retry',
      counted: false,
    },
    {
      name: 'FailJob fails at once whatever the limit',
      attempt: { ...base, exitCode: 42, backoffLimit: 10, failurePolicy: policy(rule('FailJob', 'In', 42)) },
      kind: 'fail',
      counted: true,
      reason: 'PodFailurePolicy',
    },
    {
      name: 'Count counts like no rule',
      attempt: { ...base, exitCode: 3, backoffLimit: 1, failurePolicy: policy(rule('Count', 'In', 3)) },
      kind: 'retry',
      counted: true,
    },
  ])('$name', ({ attempt, kind, counted, reason }) => {
    const verdict = judgeFailedAttempt(attempt);
    expect(verdict.kind).toBe(kind);
    expect(verdict.counted).toBe(counted);
    if (verdict.kind === 'fail') expect(verdict.reason).toBe(reason);
  });

  it('words the failure as Kubernetes does', () => {
    const failJob = judgeFailedAttempt({ ...base, exitCode: 42, failurePolicy: policy(rule('Count', 'In', 1), rule('FailJob', 'In', 42)) });
    expect(failJob).toMatchObject({ message: 'Container of job-a-1 failed with exit code 42 matching FailJob rule at index 1' });
    expect(judgeFailedAttempt({ ...base, exitCode: 1 })).toMatchObject({ message: BACKOFF_LIMIT_MESSAGE });
  });
});
