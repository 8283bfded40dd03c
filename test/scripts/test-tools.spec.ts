// scripts/ are plain Node (npm test runs them before anything is built).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { kubectlVersionProblem } = require('../../scripts/test-tools.js') as { kubectlVersionProblem(versionJson: string): string | undefined };

const version = (gitVersion: string) => JSON.stringify({ clientVersion: { major: '1', gitVersion }, kustomizeVersion: 'v5' });

describe('npm test checks the kubectl that renders k8s/', () => {
  it.each([
    ['the npm package\'s v1.33', version('v1.33.9'), undefined],
    ['a vendor build', version('v1.32.4-dispatcher'), undefined],
    ['the first one whose kustomize reads labels and components', version('v1.22.0'), undefined],
  ])('accepts %s', (_what, output, problem) => {
    expect(kubectlVersionProblem(output)).toBe(problem);
  });

  it.each([
    ['Debian bookworm\'s kubernetes-client (1.20)', version('v1.20.2'), /v1\.20\.2 is too old/],
    ['a version it cannot read', version('v2.0.0'), /unknown version \(v2\.0\.0\)/],
    ['output that is not JSON', 'Client Version: v1.33.9', /printed no JSON/],
  ])('refuses %s', (_what, output, problem) => {
    expect(kubectlVersionProblem(output)).toMatch(problem);
  });
});
