// Japanese UI text, key for key the same as en.ts.

import type { TranslationResource } from './en';

export const ja: TranslationResource = {
  app: {
    title: 'ブラウザで動く CoAtNet',
    subtitle: 'TensorFlow.js による Fashion-MNIST 画像分類。画像はこの端末の外に送信されません。',
    footer: 'ネットワークは TensorFlow.js でこのページの中で実行され、画像はアップロードされません。',
  },
  language: {
    label: '言語',
  },
  input: {
    heading: '画像',
    dropHint: 'ここに画像をドロップ',
    pasteHint: 'または Ctrl+V / ⌘V で貼り付け',
    choose: '画像を選択…',
    formats: 'PNG・JPEG・GIF・WebP・BMP・AVIF（{{maxMegabytes}} MB まで）',
    decoding: '画像を読み込んでいます…',
    imageAlt: '分類する画像: {{name}}',
    size: '{{width}} × {{height}} px',
    replaceHint: '別の画像をドロップ・貼り付け・選択すると置き換わります。',
  },
  samples: {
    heading: 'Fashion-MNIST テストセットのサンプル',
    buttonLabel: 'テスト画像 {{testIndex}}（{{label}}）を分類',
    loading: 'サンプルを読み込んでいます…',
    unavailable: 'サンプル画像を読み込めませんでした。',
  },
  result: {
    heading: '予測結果',
    empty: '画像を選択・ドロップ・貼り付けするか、サンプルをクリックしてください。',
    waitingForModel: 'モデルの準備ができしだい分類します。',
    modelUnavailable: 'モデルを利用できないため、画像を分類できません。',
    failed: 'この画像を分類できませんでした。',
    classifying: '分類しています…',
    topK: '上位 {{count}} クラス',
    inferenceTime: '推論時間',
    milliseconds: 'ミリ秒',
    backend: 'バックエンド',
    trueLabel: '正解ラベル',
    correct: '正解',
    incorrect: '不正解',
  },
  model: {
    heading: 'モデル',
    phase: {
      backend: 'TensorFlow.js を起動しています…',
      download: '重みをダウンロードしています…',
      build: 'ネットワークを構築しています…',
      warmup: 'ウォームアップ中です（初回の推論で GPU カーネルをコンパイルします）…',
    },
    ready: 'モデルの準備完了',
    failed: 'モデルを利用できません。',
    retry: '再試行',
  },
  backend: {
    label: 'バックエンド',
    names: {
      webgpu: 'WebGPU',
      webgl: 'WebGL',
      wasm: 'WebAssembly',
      cpu: 'CPU',
    },
    unavailable: '{{failed}} は利用できません（{{reason}}）。',
    runningOn: '{{backend}} で実行しています。',
    softwareAdapter: 'WebGPU アダプターがソフトウェア実装のため、GPU より推論に時間がかかります。',
  },
  info: {
    heading: 'モデルについて',
    parameters: 'パラメーター数',
    accuracy: 'テスト精度',
    accuracyOnImages: '{{accuracy}}（テスト画像 {{count}} 枚）',
    input: '入力',
    inputValue: '{{height}} × {{width}} px、{{channels}}',
    channels: {
      grayscale: 'グレースケール（1\u00a0チャンネル）',
      rgb: 'RGB（3\u00a0チャンネル）',
    },
    classes: 'クラス',
  },
  errors: {
    dismiss: '閉じる',
    detail: '詳細',
    'empty-file': '「{{name}}」は空のファイル（0 バイト）です。画像ファイルを選んでください。',
    'not-an-image': '「{{name}}」は画像ではありません。PNG・JPEG・GIF・WebP・BMP・AVIF のファイルを使ってください。',
    'unsupported-format': '「{{name}}」は {{format}} 形式の画像で、このブラウザーではデコードできません。'
      + 'JPEG か PNG に変換してからもう一度お試しください。',
    'decode-failed': '「{{name}}」をデコードできませんでした。ファイルが壊れているか途中で切れている可能性があります。'
      + '別のファイルをお試しください。',
    'too-large_bytes': '「{{name}}」は {{actual}} MB で、上限の {{maximum}} MB を超えています。小さいファイルを使ってください。',
    'too-large_pixels': '「{{name}}」は {{actual}} メガピクセルで、上限の {{maximum}} メガピクセルを超えています。'
      + '縮小してからもう一度お試しください。',
    'no-file': 'ドロップされたものにファイルが含まれていません。他のウェブページからドラッグした画像はリンクとして渡されるため、'
      + 'いったん保存してからファイルをドロップしてください。',
    'sample-failed': 'サンプル「{{name}}」を読み込めませんでした。ページを再読み込みしてもう一度お試しください。',
    'model-load-failed': 'モデルを読み込めませんでした。「再試行」を押してください。それでも失敗する場合は、'
      + 'サーバー上のモデルファイルが見つからないか壊れています。',
    'backend-failed': 'TensorFlow.js のバックエンドを 1 つも起動できませんでした（CPU も含む）。別のブラウザーをお試しください。',
    'classify-failed': '分類に失敗しました。別の画像を試すか、ページを再読み込みしてください。',
  },
};
