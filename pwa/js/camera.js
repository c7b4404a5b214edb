// Photos from the phone's camera (or its gallery), kept as ArrayBuffers so they survive in
// IndexedDB until the server has them.

export const MAX_PHOTO_BYTES = 20 * 1024 * 1024;

/** Wire an <input type=file>; onPhoto({data, type, name, size}) for each picked image. */
export function cameraInput(input, onPhoto, onError) {
  input.type = 'file';
  input.accept = 'image/*';
  input.setAttribute('capture', 'environment');
  input.addEventListener('change', async () => {
    for (const file of input.files) {
      if (!file.type.startsWith('image/')) onError?.('photo.notImage');
      else if (file.size > MAX_PHOTO_BYTES) onError?.('photo.tooLarge');
      else onPhoto({ data: await file.arrayBuffer(), type: file.type, name: file.name,
        size: file.size });
    }
    input.value = '';
  });
}

/** An object URL to preview a kept photo; revoke it when done. */
export function previewUrl(photo) {
  return URL.createObjectURL(new Blob([photo.data], { type: photo.type }));
}
