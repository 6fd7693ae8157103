// Preloaded into a service by the benchmark (`node -r tools/platform/runtime/cpu-profile.cjs …`): the first SIGWINCH
// starts V8's CPU profiler, the next one stops it and writes
// $HOSO_CPU_PROFILE_DIR/$HOSO_CPU_PROFILE_NAME-<n>.cpuprofile, so a profile covers exactly one load step.
// `node --cpu-prof` does not fit: it writes only at a normal exit, and a NestJS service ends a SIGTERM by
// re-raising the signal. Why SIGWINCH: NestJS's shutdown hooks take SIGUSR2 (and every terminating signal),
// SIGUSR1 starts Node's inspector, and SIGWINCH is ignored by default, so a process without this preload is not
// affected (a service's output is never a terminal, so no resize handling is disturbed). Does nothing until signalled.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.HOSO_CPU_PROFILE_DIR || path.resolve('.data/profiles');
const name = process.env.HOSO_CPU_PROFILE_NAME || `pid${process.pid}`;
let session = null;
let written = 0;

process.on('SIGWINCH', () => {
  if (!session) {
    session = new inspector.Session();
    session.connect();
    const s = session;
    s.post('Profiler.enable', () => {
      // 1 ms between samples: V8's default, cheap enough to leave the service's throughput nearly unchanged.
      s.post('Profiler.setSamplingInterval', { interval: 1000 }, () => {
        s.post('Profiler.start');
      });
    });
    return;
  }
  const s = session;
  session = null;
  s.post('Profiler.stop', (err, res) => {
    if (!err && res && res.profile) {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name}-${++written}.cpuprofile`);
      // Written under a temporary name first: whoever waits for the file never reads half of it.
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(res.profile));
      fs.renameSync(`${file}.tmp`, file);
    }
    s.disconnect();
  });
});
