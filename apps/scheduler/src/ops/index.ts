export { OpsModule } from './ops.module';
export { BULL_BOARD_PATH } from './bull-board';
