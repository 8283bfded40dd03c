import { describeRuntimeContract } from '../runtime-contract/runtime-contract';
import { makeLocalHarness } from './local-harness';

describeRuntimeContract('local processes', () => makeLocalHarness());
