// The camera card: live classification of a camera picture, placed under the image input.

import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

import { checkWebcamSupport, refreshCameras, stopWebcam, watchCameraList } from '../webcamStore';
import { WebcamControls } from './WebcamControls';
import { WebcamErrorMessage } from './WebcamErrorMessage';
import { WebcamView } from './WebcamView';

export function WebcamPanel() {
  const { t } = useTranslation();
  const videoRef = useRef<HTMLVideoElement>(null);

  // Leaving the page section (or the page) releases the camera.
  useEffect(() => {
    checkWebcamSupport();
    void refreshCameras();
    const unwatch = watchCameraList();
    return () => {
      unwatch();
      stopWebcam();
    };
  }, []);

  return (
    <section className="card webcam" aria-labelledby="webcam-heading" data-testid="webcam-panel">
      <h2 id="webcam-heading">{t('webcam.heading')}</h2>
      <p className="muted">{t('webcam.intro')}</p>
      <WebcamErrorMessage videoRef={videoRef} />
      <WebcamControls videoRef={videoRef} />
      <WebcamView videoRef={videoRef} />
    </section>
  );
}
