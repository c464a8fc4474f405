import { runDlqReplayCommand } from '../dlq/replay-command.js';

await runDlqReplayCommand(process.argv.slice(2), process.env, process.stdout);
