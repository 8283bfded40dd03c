// NestJS 12 and friends ship ESM only (content-disposition comes with @fastify/static, under Bull Board; cookie with light-my-request, behind fastify.inject); swc turns them (and our TypeScript) into CommonJS for jest.
const esmPackages = ['@nestjs', '@kubernetes', 'openid-client', 'oauth4webapi', 'jose', 'content-disposition', 'cookie'].join('|');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages})/)`],
  moduleNameMapper: {
    '^@rjs/(core|config|contracts|store|queue|runtime|platform)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 60000,
};
