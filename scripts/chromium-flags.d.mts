export declare const CHROMIUM: string;
export declare const BASE_FLAGS: string[];
export declare const GPU_FLAGS: string[];
export declare const NO_WEBGPU_FLAGS: string[];
