#!/usr/bin/env node
// An example job: reads its payload (JSON or plain text) from the file JOB_PAYLOAD_FILE names,
// prints what it got, and exits with the code the payload asks for ({"exitCode": 3}), after
// sleeping {"sleepSeconds": n}. The same program runs under the local and the Kubernetes runtime.
'use strict';
const { readFileSync, existsSync } = require('node:fs');

const file = process.env.JOB_PAYLOAD_FILE;
const text = file && existsSync(file) ? readFileSync(file, 'utf8') : '';
let request = {};
try {
  request = text ? JSON.parse(text) : {};
} catch {
  request = { text };
}
console.log(`job ${process.env.RADIX_JOB_NAME ?? '(unnamed)'} started; ${process.env.GREETING ?? ''}`);
console.log(`payload (${Buffer.byteLength(text)} bytes): ${text.slice(0, 200)}`);
if (typeof request.x === 'number' && typeof request.y === 'number') console.log(`x + y = ${request.x + request.y}`);

const exitCode = Number.isInteger(request.exitCode) ? request.exitCode : 0;
const sleepMs = Math.max(0, Number(request.sleepSeconds) || 0) * 1000;
setTimeout(() => {
  console.log(`job ${process.env.RADIX_JOB_NAME ?? ''} exits with ${exitCode}`);
  process.exit(exitCode);
}, sleepMs);
