// Camera buttons: start and stop, the camera list, front/back, mirroring and the snapshot.

import type { RefObject } from 'react';
import { useTranslation } from 'react-i18next';

import {
  chooseCamera,
  selectCameras,
  selectDeviceId,
  selectFacingMode,
  selectMirror,
  selectWebcamStatus,
  setMirror,
  snapshotWebcam,
  startWebcam,
  stopWebcam,
  toggleFacingMode,
  useWebcamStore,
} from '../webcamStore';

const OTHER_FACING = { user: 'environment', environment: 'user' } as const;

function CameraPicker() {
  const { t } = useTranslation();
  const cameras = useWebcamStore(selectCameras);
  const deviceId = useWebcamStore(selectDeviceId);
  const facingMode = useWebcamStore(selectFacingMode);

  return (
    <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center' }}>
      <label>
        {t('webcam.camera')}{' '}
        <select
          data-testid="webcam-camera"
          value={deviceId ?? ''}
          onChange={(event) => chooseCamera(event.target.value || null)}
        >
          <option value="">{t('webcam.automatic', { facing: t(`webcam.facing.${facingMode}`) })}</option>
          {cameras.map((camera, index) => (
            <option key={camera.deviceId} value={camera.deviceId}>
              {camera.label || t('webcam.unnamedCamera', { number: index + 1 })}
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="button" data-testid="webcam-facing" onClick={toggleFacingMode}>
        {t('webcam.switchFacing', { facing: t(`webcam.facing.${OTHER_FACING[facingMode]}`) })}
      </button>
    </div>
  );
}

function MirrorToggle() {
  const { t } = useTranslation();
  const mirror = useWebcamStore(selectMirror);

  return (
    <div>
      <label>
        <input
          type="checkbox"
          data-testid="webcam-mirror"
          checked={mirror}
          onChange={(event) => setMirror(event.target.checked)}
        />{' '}
        {t('webcam.mirror')}
      </label>
      <p className="muted" data-testid="webcam-mirror-note">{mirror ? t('webcam.mirrorOn') : t('webcam.mirrorOff')}</p>
    </div>
  );
}

export function WebcamControls({ videoRef }: { videoRef: RefObject<HTMLVideoElement | null> }) {
  const { t } = useTranslation();
  const status = useWebcamStore(selectWebcamStatus);

  const start = () => {
    if (videoRef.current) void startWebcam(videoRef.current);
  };

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}>
        {status !== 'live' && (
          <button type="button" className="button button--primary" data-testid="webcam-start" disabled={status === 'starting'} onClick={start}>
            {status === 'starting' ? t('webcam.starting') : t('webcam.start')}
          </button>
        )}
        {status !== 'idle' && (
          <button type="button" className="button" data-testid="webcam-stop" onClick={stopWebcam}>
            {t('webcam.stop')}
          </button>
        )}
        <button
          type="button"
          className="button"
          data-testid="webcam-snapshot"
          disabled={status !== 'live'}
          title={t('webcam.snapshotHint')}
          onClick={() => void snapshotWebcam()}
        >
          {t('webcam.snapshot')}
        </button>
      </div>
      <CameraPicker />
      <MirrorToggle />
    </div>
  );
}
