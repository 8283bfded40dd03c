import { join } from 'node:path';
import { checkFile, checkTree, importsOf, productFiles } from './import-boundaries';

const root = join(__dirname, '..', '..');
const at = (path: string) => join(root, path);

describe('import boundaries (README, "How the code is laid out")', () => {
  it('holds for every product file under apps/ and libs/', () => {
    expect(productFiles(root).length).toBeGreaterThan(50);
    expect(checkTree(root)).toEqual([]);
  });

  it.each([
    ['libs/core/src/x.ts', "import { Injectable } from '@nestjs/common';", 'libs/core is the pure domain'],
    ['libs/core/src/x.ts', "import type Redis from 'ioredis';", 'libs/core is the pure domain'],
    ['libs/core/src/x.ts', "import { BullMqWorkQueue } from '@rjs/queue';", 'libs/core imports no other part'],
    ['libs/store/src/x.ts', "import { ApiModule } from '../../../apps/api/src/api.module';", 'a library never imports an app'],
    ['apps/api/src/x.ts', "import { LocalJobRuntime } from '@rjs/runtime';", 'the api app never touches a runtime'],
    ['apps/api/src/x.ts', "import { KubeConfig } from '@kubernetes/client-node';", 'the api app never touches a runtime'],
    ['apps/worker/src/x.ts', "import { createScheduler } from '../../scheduler/src/bootstrap';", 'nothing imports the composition root'],
    ['apps/worker/src/x.ts', "export { ApiModule } from '../../api/src/api.module';", 'an app never imports another app'],
    ['apps/api/src/x.ts', "const worker = require('../../worker/src/worker.module');", 'an app never imports another app'],
    ['apps/api/src/x.ts', "const later = () => import('../../worker/src/worker.module');", 'an app never imports another app'],
    ['libs/contracts/src/x.ts', "import { RedisStatusStore } from '@rjs/store';", 'libs/contracts builds on libs/core alone'],
    ['libs/contracts/src/x.ts', "import { loadConfig } from '@rjs/config';", 'libs/contracts builds on libs/core alone'],
  ])('rejects %s importing `%s`', (file, source, reason) => {
    const violations = checkFile(root, at(file), source);
    expect(violations.map((violation) => violation.reason)).toContainEqual(expect.stringContaining(reason));
  });

  it.each([
    ['libs/core/src/x.ts', "import { randomUUID } from 'node:crypto'; import { jobStatus } from './job-status';"],
    ['libs/config/src/x.ts', "import { parse } from 'yaml'; import { JobSpec } from '@rjs/core';"],
    ['libs/config/src/x.ts', "import { RadixJobComponentConfigDto } from '@rjs/contracts';"],
    ['libs/contracts/src/x.ts', "import { ValidateBy } from 'class-validator'; import { ApiProperty } from '@nestjs/swagger'; import { isQuantity } from '@rjs/core';"],
    ['apps/worker/src/x.ts', "import { Readiness } from '@rjs/platform'; import { Worker } from 'bullmq';"],
    ['apps/scheduler/src/x.ts', "import { ApiModule } from '../../api/src/api.module'; import { WorkerModule } from '../../worker/src/worker.module';"],
  ])('allows %s importing `%s`', (file, source) => {
    expect(checkFile(root, at(file), source)).toEqual([]);
  });

  it('sees type-only imports too', () => {
    expect(importsOf("import type { Logger } from 'pino';")).toEqual(['pino']);
  });
});
