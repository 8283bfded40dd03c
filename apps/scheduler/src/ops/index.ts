export { OpsModule } from './ops.module';
export { Readiness, type ReadinessCheck } from './readiness';
export { Metrics } from './metrics';
export { BULL_BOARD_PATH } from './bull-board';
