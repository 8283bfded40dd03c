import type { FailurePolicy, FailurePolicyAction, FailurePolicyRule } from './job-spec';

/** The rule that decided a failed attempt, with its position (messages name it as Kubernetes does). */
export interface FailurePolicyMatch {
  action: FailurePolicyAction;
  ruleIndex: number;
  rule: FailurePolicyRule;
}

/**
 * Evaluates the rules in order, as Kubernetes evaluates a podFailurePolicy: the first rule whose
 * exit-code requirement holds wins. Exit code 0 never matches (a successful container is left out
 * of the check, also by NotIn rules).
 */
export function matchFailurePolicy(policy: FailurePolicy | undefined, exitCode: number): FailurePolicyMatch | undefined {
  if (!policy || exitCode === 0) return undefined;
  for (const [ruleIndex, rule] of policy.rules.entries()) {
    const listed = rule.onExitCodes.values.includes(exitCode);
    if (rule.onExitCodes.operator === 'In' ? listed : !listed) return { action: rule.action, ruleIndex, rule };
  }
  return undefined;
}

/** What happens after an attempt failed with an exit code. */
export type FailedAttemptVerdict =
  /** Start another attempt; `counted` says whether this failure counts towards backoffLimit. */
  | { kind: 'retry'; counted: boolean }
  /** The job fails now; reason and message as Kubernetes words them. */
  | { kind: 'fail'; counted: boolean; reason: 'PodFailurePolicy' | 'BackoffLimitExceeded'; message: string };

export interface FailedAttempt {
  exitCode: number;
  /** Name of the attempt (pod or process) for the message. */
  attemptName: string;
  /** Failed attempts counted so far, not including this one. */
  countedFailures: number;
  backoffLimit: number;
  failurePolicy?: FailurePolicy;
}

export const BACKOFF_LIMIT_MESSAGE = 'Job has reached the specified backoff limit';

/**
 * Decides a failed attempt: FailJob ends the job at once, Ignore retries without counting,
 * Count (or no matching rule) counts, and the job fails once more than backoffLimit failures count.
 */
export function judgeFailedAttempt(attempt: FailedAttempt): FailedAttemptVerdict {
  const match = matchFailurePolicy(attempt.failurePolicy, attempt.exitCode);
  if (match?.action === 'FailJob') {
    return {
      kind: 'fail',
      counted: true,
      reason: 'PodFailurePolicy',
      message: `Container of ${attempt.attemptName} failed with exit code ${attempt.exitCode} matching FailJob rule at index ${match.ruleIndex}`,
    };
  }
  if (match?.action === 'Ignore') return { kind: 'retry', counted: false };
  if (attempt.countedFailures + 1 > attempt.backoffLimit) {
    return { kind: 'fail', counted: true, reason: 'BackoffLimitExceeded', message: BACKOFF_LIMIT_MESSAGE };
  }
  return { kind: 'retry', counted: true };
}
