/**
 * The boot path's on-disk formats: the GUID Partition Table ({@link xensim.firmware.boot.Gpt},
 * built by {@link xensim.firmware.boot.GptDiskBuilder}) and the boot-loader blob the boot manager
 * loads from the EFI System Partition ({@link xensim.firmware.boot.BootLoaderBlob}).
 */
package xensim.firmware.boot;
