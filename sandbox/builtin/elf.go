package builtin

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// helloMessage is what the hello-world program prints. It is our own text and
// explains the image/container steps the lecture is about.
const helloMessage = `
Hello from dockling!
This message shows that your installation appears to be working.

What just happened:
 1. The docker command (dockling) looked for the "hello-world" image in its store.
 2. If it was not there yet, dockling built it on this machine, with no download:
    it is one tiny program.
 3. dockling created a new container from that image: a fresh root filesystem
    and its own namespaces.
 4. It ran the program inside the container and streamed its output to your terminal.

The image is tiny because it holds just this one program, well under 1 KB.
Each run creates another container from the same image; list them with:
 $ docker ps -a

`

// Layout of the generated executable: one ELF header, one program header, then
// the machine code immediately followed by the message. The single PT_LOAD
// segment maps the whole file, so file offsets and virtual addresses differ only
// by loadAddr.
const (
	loadAddr   = 0x400000
	ehdrSize   = 64 // sizeof(Elf64_Ehdr)
	phdrSize   = 56 // sizeof(Elf64_Phdr)
	codeOffset = ehdrSize + phdrSize
	maxELFSize = 16 << 10
)

// HelloWorldELF returns a complete static ELF64 executable for linux/arch
// ("amd64" or "arm64") that writes the welcome message to stdout and exits 0.
// It is generated here rather than compiled so that the image needs no
// toolchain and stays around a kilobyte.
func HelloWorldELF(arch string) ([]byte, error) {
	msg := []byte(helloMessage)
	var (
		code    []byte
		machine elf.Machine
		align   uint64
		err     error
	)
	switch arch {
	case "amd64":
		code, err = amd64Code(len(msg))
		machine, align = elf.EM_X86_64, 0x1000
	case "arm64":
		code, err = arm64Code(len(msg))
		// 64 KiB covers every arm64 kernel page size (4K, 16K, 64K).
		machine, align = elf.EM_AARCH64, 0x10000
	default:
		return nil, fmt.Errorf("generating hello-world: unsupported architecture %q", arch)
	}
	if err != nil {
		return nil, fmt.Errorf("generating hello-world for %s: %w", arch, err)
	}
	total := codeOffset + len(code) + len(msg)
	if total > maxELFSize {
		return nil, fmt.Errorf("generating hello-world for %s: %d bytes exceeds %d", arch, total, maxELFSize)
	}

	hdr := elf.Header64{
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(machine),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     loadAddr + codeOffset,
		Phoff:     ehdrSize,
		Shoff:     0, // no section headers: the kernel needs only the program header
		Ehsize:    ehdrSize,
		Phentsize: phdrSize,
		Phnum:     1,
		Shentsize: 64,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	hdr.Ident[elf.EI_OSABI] = byte(elf.ELFOSABI_NONE)

	prog := elf.Prog64{
		Type:   uint32(elf.PT_LOAD),
		Flags:  uint32(elf.PF_R | elf.PF_X),
		Off:    0,
		Vaddr:  loadAddr,
		Paddr:  loadAddr,
		Filesz: uint64(total),
		Memsz:  uint64(total),
		Align:  align,
	}

	var buf bytes.Buffer
	buf.Grow(total)
	if err := binary.Write(&buf, binary.LittleEndian, &hdr); err != nil {
		return nil, fmt.Errorf("writing elf header: %w", err)
	}
	if err := binary.Write(&buf, binary.LittleEndian, &prog); err != nil {
		return nil, fmt.Errorf("writing program header: %w", err)
	}
	buf.Write(code)
	buf.Write(msg)
	if buf.Len() != total {
		return nil, fmt.Errorf("generating hello-world for %s: size %d, want %d", arch, buf.Len(), total)
	}
	return buf.Bytes(), nil
}

// amd64Code returns x86-64 code that writes msgLen bytes located right after
// the code to fd 1, retrying short writes, then exits 0 (1 if write fails).
// Byte offsets are shown on the left; the message starts at offset 53.
func amd64Code(msgLen int) ([]byte, error) {
	if msgLen <= 0 || msgLen > 1<<30 {
		return nil, fmt.Errorf("message length %d out of range", msgLen)
	}
	const (
		msgAt  = 53
		loopAt = 12
		exitAt = 39
		failAt = 46
	)
	code := []byte{
		// 0: lea rsi, [rip+disp32]  ; REX.W 8D /r, ModRM 00 110 101 (rip-relative)
		0x48, 0x8d, 0x35, 0, 0, 0, 0,
		// 7: mov edx, imm32 (length) ; B8+2
		0xba, 0, 0, 0, 0,
		// 12 loop: mov eax, 1 (SYS_write)
		0xb8, 0x01, 0x00, 0x00, 0x00,
		// 17: mov edi, 1 (stdout)
		0xbf, 0x01, 0x00, 0x00, 0x00,
		// 22: syscall
		0x0f, 0x05,
		// 24: test rax, rax           ; REX.W 85 /r, ModRM 11 000 000
		0x48, 0x85, 0xc0,
		// 27: jle fail (rel8)         ; error or nothing written
		0x7e, failAt - 29,
		// 29: add rsi, rax            ; REX.W 01 /r, ModRM 11 000 110
		0x48, 0x01, 0xc6,
		// 32: sub rdx, rax            ; REX.W 29 /r, ModRM 11 000 010
		0x48, 0x29, 0xc2,
		// 35: jnz loop (rel8)         ; short write: write the rest
		0x75, 0x100 + (loopAt - 37), // two's complement of a negative rel8
		// 37: xor edi, edi            ; exit status 0
		0x31, 0xff,
		// 39 exit: mov eax, 60 (SYS_exit)
		0xb8, 0x3c, 0x00, 0x00, 0x00,
		// 44: syscall
		0x0f, 0x05,
		// 46 fail: mov edi, 1         ; exit status 1
		0xbf, 0x01, 0x00, 0x00, 0x00,
		// 51: jmp exit (rel8)
		0xeb, 0x100 + (exitAt - 53),
	}
	if len(code) != msgAt {
		return nil, fmt.Errorf("amd64 code is %d bytes, layout expects %d", len(code), msgAt)
	}
	binary.LittleEndian.PutUint32(code[3:], uint32(msgAt-7)) // rip points after the lea
	binary.LittleEndian.PutUint32(code[8:], uint32(msgLen))
	return code, nil
}

// arm64Code returns AArch64 code with the same behaviour as amd64Code. Each
// instruction is 4 bytes; indexes are shown on the left and branch offsets are
// counted in instructions from the branch itself. The message follows the
// last instruction (index 15).
func arm64Code(msgLen int) ([]byte, error) {
	if msgLen <= 0 || msgLen > 0xffff {
		return nil, fmt.Errorf("message length %d does not fit a movz immediate", msgLen)
	}
	const (
		x0, x1, x2, x8 = 0, 1, 2, 8
		condNE         = 0x1
		condLE         = 0xd
		msgAt          = 15
	)
	insns := []uint32{
		/* 0 */ armADR(x1, msgAt*4), // x1 = &msg
		/* 1 */ armMOVZ(x2, uint16(msgLen)), // x2 = length
		/* 2 loop */ armMOVZ(x0, 1), // x0 = stdout
		/* 3 */ armMOVZ(x8, 64), // x8 = SYS_write
		/* 4 */ 0xd4000001, // svc #0
		/* 5 */ 0xf100001f, // cmp x0, #0 (subs xzr, x0, #0)
		/* 6 */ armBcond(condLE, 13-6), // b.le fail
		/* 7 */ 0x8b000021, // add x1, x1, x0 (shifted register, rm=x0 rn=x1 rd=x1)
		/* 8 */ 0xeb000042, // subs x2, x2, x0 (rm=x0 rn=x2 rd=x2)
		/* 9 */ armBcond(condNE, 2-9), // b.ne loop
		/* 10 */ armMOVZ(x0, 0), // exit status 0
		/* 11 exit */ armMOVZ(x8, 93), // x8 = SYS_exit
		/* 12 */ 0xd4000001, // svc #0
		/* 13 fail */ armMOVZ(x0, 1), // exit status 1
		/* 14 */ armB(11 - 14), // b exit
	}
	if len(insns) != msgAt {
		return nil, fmt.Errorf("arm64 code is %d instructions, layout expects %d", len(insns), msgAt)
	}
	code := make([]byte, 4*len(insns))
	for i, in := range insns {
		binary.LittleEndian.PutUint32(code[4*i:], in)
	}
	return code, nil
}

// armADR encodes ADR Xd, #off (PC-relative, byte offset):
// 0 immlo:2 10000 immhi:19 Rd:5.
func armADR(rd uint32, off int32) uint32 {
	u := uint32(off) & 0x1fffff
	return 0x10000000 | (u&3)<<29 | (u>>2)<<5 | rd
}

// armMOVZ encodes MOVZ Xd, #imm16 (64-bit, no shift): 1 10 100101 00 imm16 Rd.
func armMOVZ(rd uint32, imm uint16) uint32 {
	return 0xd2800000 | uint32(imm)<<5 | rd
}

// armBcond encodes B.cond with an offset in instructions: 01010100 imm19 0 cond.
func armBcond(cond uint32, insns int32) uint32 {
	return 0x54000000 | (uint32(insns)&0x7ffff)<<5 | cond
}

// armB encodes B with an offset in instructions: 000101 imm26.
func armB(insns int32) uint32 {
	return 0x14000000 | uint32(insns)&0x3ffffff
}
