/**
 * Ctrl-C and SIGTERM: the first asks the running command to stop cleanly (it saves its
 * checkpoint and exits 130); a second one exits at once.
 */
export function onInterrupt(stop: () => void): () => void {
  let asked = false;
  const handler = (signal: NodeJS.Signals) => {
    if (asked) {
      process.stderr.write(`\nauditlogs: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    asked = true;
    stop();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
