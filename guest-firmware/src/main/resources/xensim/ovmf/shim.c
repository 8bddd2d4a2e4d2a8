/** @file
  xensim's shim under edk2's XenBusDxe and XenPvBlkDxe: what the DXE core, UefiBootServicesTableLib,
  DebugLib, XenHypercallLib and BaseLib's CPU primitives would give the drivers in OVMF.

  Every boot service, hypercall, MemoryFence, CpuPause and DEBUG message is one call of
  mXsCall (a JNA callback into the simulator, sysv ABI): the vCPU thread stops there and the
  simulation runs the call in its UEFI core model (xensim.firmware.uefi.BootServices) or its
  hypercall page; only then does the C code go on. Arguments travel as an array of UINT64;
  out-parameters are written by the simulator through the pointers.

  The GUIDs the drivers and libraries name are defined here (AutoGen.c would).

  Written for xensim; compiled with the drivers' own flags (build.sh), so every EFIAPI function
  here is ms_abi, as the drivers expect.
**/

#include <Uefi.h>
#include <Library/BaseLib.h>
#include <Library/DebugLib.h>
#include <Library/PrintLib.h>
#include <Library/UefiBootServicesTableLib.h>
#include <Protocol/DriverBinding.h>
#include <Protocol/ComponentName.h>
#include <Protocol/ComponentName2.h>
#include <Protocol/BlockIo.h>
#include <Protocol/DevicePath.h>
#include <Protocol/XenBus.h>
#include <Protocol/XenIo.h>

/* The operations; xensim.firmware.ovmfc.ShimOp numbers them the same. */
enum {
  XS_RAISE_TPL = 1, XS_RESTORE_TPL, XS_ALLOCATE_PAGES, XS_FREE_PAGES, XS_ALLOCATE_POOL, XS_FREE_POOL,
  XS_CREATE_EVENT, XS_CREATE_EVENT_EX, XS_SET_TIMER, XS_WAIT_FOR_EVENT, XS_SIGNAL_EVENT, XS_CLOSE_EVENT,
  XS_CHECK_EVENT, XS_INSTALL_PROTOCOL, XS_UNINSTALL_PROTOCOL, XS_HANDLE_PROTOCOL, XS_OPEN_PROTOCOL,
  XS_CLOSE_PROTOCOL, XS_OPEN_PROTOCOL_INFORMATION, XS_DISCONNECT_CONTROLLER, XS_CONNECT_CONTROLLER,
  XS_LOCATE_HANDLE_BUFFER, XS_LOCATE_PROTOCOL, XS_STALL, XS_LOCATE_DEVICE_PATH, XS_REGISTER_PROTOCOL_NOTIFY,
  XS_UNSUPPORTED,
  XS_MEMORY_FENCE = 30, XS_CPU_PAUSE, XS_DEBUG_PRINT, XS_DEBUG_ASSERT,
  XS_HVM_GET_PARAM = 40, XS_MEMORY_OP, XS_EVTCHN_OP
};

typedef UINT64 (*XS_CALL)(UINT32 Op, UINT64 *Args, UINT32 Count);

/*
  Two stacks. The C code runs on the firmware's own stack, in guest RAM at a fixed address
  (xs_set_stack), as OVMF's DXE phase runs on the stack DxeIpl allocated: so its addresses
  (XenPvBlkDxe's request ids are (UINTN)&IoData on that stack) are the same in every run. The
  simulator's callback runs on the vCPU thread's own (JVM) stack. xs_invoke switches from the
  JVM stack to the firmware stack and calls an EFIAPI function; xs_call_switch, the shim's way
  out, switches back to the innermost JVM frame for the callback and returns onto the firmware
  stack. Nesting (the callback calling xs_invoke again: a driver's Stop from DisconnectController)
  continues each stack below where it stopped.
*/
XS_CALL  mXsCall __attribute__ ((visibility ("hidden")));
/** Set by xs_set_free_running: fences and pauses stay on the vCPU (threaded mode). */
static volatile UINT8  mFreeRunning;
UINT64   mCSp __attribute__ ((visibility ("hidden")));     /* where the firmware stack goes on */
UINT64   mJavaSp __attribute__ ((visibility ("hidden")));  /* the innermost xs_invoke's JVM frame */

/*
  Which C function the vCPU is in, for FW_SPIN: the drivers' own sources (not the shim, not the
  base libraries) are built with -finstrument-functions, so every function of theirs calls these
  two on entry and exit; they keep a stack of entry addresses (this library copy has one vCPU).
  xs_current_function gives the innermost one as an offset in the library, which build.sh's
  symbol list (nm -l, beside the library) names with its source line.
*/
#define XS_FN_STACK  256
static VOID            *mXsFnStack[XS_FN_STACK];
static volatile INT32  mXsFnDepth;

__attribute__ ((no_instrument_function)) VOID
__cyg_profile_func_enter (VOID *Fn, VOID *Site)
{
  INT32  D = mXsFnDepth;

  if (D < XS_FN_STACK) {
    mXsFnStack[D] = Fn;
  }
  mXsFnDepth = D + 1;
}

__attribute__ ((no_instrument_function)) VOID
__cyg_profile_func_exit (VOID *Fn, VOID *Site)
{
  if (mXsFnDepth > 0) {
    mXsFnDepth--;
  }
}

extern CHAR8  __ehdr_start[] __attribute__ ((visibility ("hidden")));

/** The innermost driver function the vCPU entered and has not left, as an offset in this library; -1: none (or too deep). */
__attribute__ ((visibility ("default"), no_instrument_function)) INT64
xs_current_function (VOID)
{
  INT32  D = mXsFnDepth;

  if ((D <= 0) || (D > XS_FN_STACK)) {
    return -1;
  }
  return (INT64)((CHAR8 *)mXsFnStack[D - 1] - __ehdr_start);
}

UINT64 xs_call_switch (UINT32 Op, UINT64 *Args, UINT32 Count);
__attribute__ ((visibility ("default"))) UINT64 xs_invoke (UINT64 Function, UINT64 A0, UINT64 A1, UINT64 A2,
                                                           UINT64 A3, UINT64 A4, UINT64 A5);

__asm__ (
  ".text\n"
  ".globl xs_invoke\n"
  ".type xs_invoke, @function\n"
  "xs_invoke:\n"                      /* sysv: rdi fn, rsi a0, rdx a1, rcx a2, r8 a3, r9 a4, 8(%rsp) a5 */
  "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
  "  pushq mJavaSp(%rip)\n"
  "  movq %rsp, mJavaSp(%rip)\n"
  "  movq 64(%rsp), %rax\n"            /* a5 */
  "  movq %rdi, %r10\n"
  "  movq mCSp(%rip), %r11\n"
  "  andq $-16, %r11\n"
  "  subq $48, %r11\n"                 /* ms_abi: 32 bytes of shadow space, then args 5 and 6 */
  "  movq %r9, 32(%r11)\n"
  "  movq %rax, 40(%r11)\n"
  "  movq %r8, %r9\n"
  "  movq %rcx, %r8\n"
  "  movq %rsi, %rcx\n"
  "  movq %r11, %rsp\n"
  "  callq *%r10\n"
  "  movq mJavaSp(%rip), %rsp\n"
  "  popq mJavaSp(%rip)\n"
  "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
  "  ret\n"
  ".size xs_invoke, .-xs_invoke\n"
  ".globl xs_call_switch\n"
  ".hidden xs_call_switch\n"
  ".type xs_call_switch, @function\n"
  "xs_call_switch:\n"                 /* sysv: edi op, rsi args, edx count; on the firmware stack */
  "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
  "  pushq mCSp(%rip)\n"
  "  movq %rsp, mCSp(%rip)\n"
  "  movq mJavaSp(%rip), %rsp\n"      /* 16-byte aligned: see xs_invoke */
  "  callq *mXsCall(%rip)\n"
  "  movq mCSp(%rip), %rsp\n"
  "  popq mCSp(%rip)\n"
  "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
  "  ret\n"
  ".size xs_call_switch, .-xs_call_switch\n"
  );

#define XS(op, ...)  ({ UINT64 XsA_[] = { 0, ##__VA_ARGS__ }; xs_call_switch ((op), XsA_ + 1, sizeof (XsA_) / 8 - 1); })
#define U(x)         ((UINT64)(UINTN)(x))

/* ---- GUIDs (AutoGen.c) ------------------------------------------------------------------ */
EFI_GUID  gEfiDriverBindingProtocolGuid        = EFI_DRIVER_BINDING_PROTOCOL_GUID;
EFI_GUID  gEfiComponentName2ProtocolGuid       = EFI_COMPONENT_NAME2_PROTOCOL_GUID;
EFI_GUID  gEfiComponentNameProtocolGuid        = EFI_COMPONENT_NAME_PROTOCOL_GUID;
EFI_GUID  gXenBusProtocolGuid                  = XENBUS_PROTOCOL_GUID;
EFI_GUID  gXenIoProtocolGuid                   = XENIO_PROTOCOL_GUID;
EFI_GUID  gEfiBlockIoProtocolGuid              = EFI_BLOCK_IO_PROTOCOL_GUID;
EFI_GUID  gEfiDevicePathProtocolGuid           = EFI_DEVICE_PATH_PROTOCOL_GUID;
EFI_GUID  gEfiDriverConfigurationProtocolGuid  = { 0x107a772b, 0xd5e1, 0x11d4, { 0x9a, 0x46, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };
EFI_GUID  gEfiDriverConfiguration2ProtocolGuid = { 0xbfd7dc1d, 0x24f1, 0x40d9, { 0x82, 0xe7, 0x2e, 0x09, 0xbb, 0x6b, 0x4e, 0xbe } };
EFI_GUID  gEfiDriverDiagnosticsProtocolGuid    = { 0x0784924f, 0xe296, 0x11d4, { 0x9a, 0x49, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };
EFI_GUID  gEfiDriverDiagnostics2ProtocolGuid   = { 0x4d330321, 0x025f, 0x4aac, { 0x90, 0xd8, 0x5e, 0xd9, 0x00, 0x17, 0x3b, 0x63 } };
EFI_GUID  gEfiEventExitBootServicesGuid        = { 0x27abf055, 0xb1b8, 0x4c26, { 0x80, 0x48, 0x74, 0x8f, 0x37, 0xba, 0xa2, 0xdf } };
EFI_GUID  gEfiLoadedImageProtocolGuid          = { 0x5B1B31A1, 0x9562, 0x11d2, { 0x8E, 0x3F, 0x00, 0xA0, 0xC9, 0x69, 0x72, 0x3B } };
EFI_GUID  gEfiDevicePathUtilitiesProtocolGuid  = { 0x0379be4e, 0xd706, 0x437d, { 0xb0, 0x37, 0xed, 0xb8, 0x2f, 0xb7, 0x72, 0xa4 } };
EFI_GUID  gEfiSimpleTextOutProtocolGuid        = { 0x387477c2, 0x69c7, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } };
EFI_GUID  gEfiGraphicsOutputProtocolGuid       = { 0x9042a9de, 0x23dc, 0x4a38, { 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a } };
EFI_GUID  gEfiHiiFontProtocolGuid              = { 0xe9ca4775, 0x8657, 0x47fc, { 0x97, 0xe7, 0x7e, 0xd6, 0x5a, 0x08, 0x43, 0x24 } };
EFI_GUID  gEfiUgaDrawProtocolGuid              = { 0x982c298b, 0xf4fa, 0x41cb, { 0xb8, 0x38, 0x77, 0xaa, 0x68, 0x8f, 0xb8, 0x39 } };
EFI_GUID  gEfiEventReadyToBootGuid             = { 0x7ce88fb3, 0x4bd7, 0x4679, { 0x87, 0xa8, 0xa8, 0xd8, 0xde, 0xe5, 0x0d, 0x2b } };
EFI_GUID  gEfiEventLegacyBootGuid              = { 0x2a571201, 0x4966, 0x47f6, { 0x8b, 0x86, 0xf3, 0x1e, 0x41, 0xf3, 0x2f, 0x10 } };
EFI_GUID  gEfiGlobalVariableGuid               = { 0x8BE4DF61, 0x93CA, 0x11d2, { 0xAA, 0x0D, 0x00, 0xE0, 0x98, 0x03, 0x2B, 0x8C } };

/* ---- the boot services table (UefiBootServicesTableLib's globals) ------------------------ */
EFI_HANDLE          gImageHandle;
EFI_SYSTEM_TABLE    *gST;
EFI_BOOT_SERVICES   *gBS;
static EFI_BOOT_SERVICES  mBootServices;
static EFI_SYSTEM_TABLE   mSystemTable;

static EFI_TPL EFIAPI XsRaiseTpl (EFI_TPL NewTpl) { return (EFI_TPL)XS (XS_RAISE_TPL, NewTpl); }
static VOID EFIAPI XsRestoreTpl (EFI_TPL OldTpl) { XS (XS_RESTORE_TPL, OldTpl); }

static EFI_STATUS EFIAPI
XsAllocatePages (EFI_ALLOCATE_TYPE Type, EFI_MEMORY_TYPE MemoryType, UINTN Pages, EFI_PHYSICAL_ADDRESS *Memory)
{
  return XS (XS_ALLOCATE_PAGES, Type, MemoryType, Pages, U (Memory));
}

static EFI_STATUS EFIAPI XsFreePages (EFI_PHYSICAL_ADDRESS Memory, UINTN Pages) { return XS (XS_FREE_PAGES, Memory, Pages); }

static EFI_STATUS EFIAPI
XsAllocatePool (EFI_MEMORY_TYPE PoolType, UINTN Size, VOID **Buffer)
{
  return XS (XS_ALLOCATE_POOL, PoolType, Size, U (Buffer));
}

static EFI_STATUS EFIAPI XsFreePool (VOID *Buffer) { return XS (XS_FREE_POOL, U (Buffer)); }

static EFI_STATUS EFIAPI
XsCreateEvent (UINT32 Type, EFI_TPL NotifyTpl, EFI_EVENT_NOTIFY NotifyFunction, VOID *NotifyContext, EFI_EVENT *Event)
{
  return XS (XS_CREATE_EVENT, Type, NotifyTpl, U (NotifyFunction), U (NotifyContext), U (Event));
}

static EFI_STATUS EFIAPI
XsCreateEventEx (UINT32 Type, EFI_TPL NotifyTpl, EFI_EVENT_NOTIFY NotifyFunction, CONST VOID *NotifyContext,
                 CONST EFI_GUID *EventGroup, EFI_EVENT *Event)
{
  return XS (XS_CREATE_EVENT_EX, Type, NotifyTpl, U (NotifyFunction), U (NotifyContext), U (EventGroup), U (Event));
}

static EFI_STATUS EFIAPI
XsSetTimer (EFI_EVENT Event, EFI_TIMER_DELAY Type, UINT64 TriggerTime)
{
  return XS (XS_SET_TIMER, U (Event), Type, TriggerTime);
}

static EFI_STATUS EFIAPI
XsWaitForEvent (UINTN NumberOfEvents, EFI_EVENT *Event, UINTN *Index)
{
  return XS (XS_WAIT_FOR_EVENT, NumberOfEvents, U (Event), U (Index));
}

static EFI_STATUS EFIAPI XsSignalEvent (EFI_EVENT Event) { return XS (XS_SIGNAL_EVENT, U (Event)); }
static EFI_STATUS EFIAPI XsCloseEvent (EFI_EVENT Event) { return XS (XS_CLOSE_EVENT, U (Event)); }
static EFI_STATUS EFIAPI XsCheckEvent (EFI_EVENT Event) { return XS (XS_CHECK_EVENT, U (Event)); }

static EFI_STATUS EFIAPI
XsInstallProtocolInterface (EFI_HANDLE *Handle, EFI_GUID *Protocol, EFI_INTERFACE_TYPE InterfaceType, VOID *Interface)
{
  return XS (XS_INSTALL_PROTOCOL, U (Handle), U (Protocol), InterfaceType, U (Interface));
}

static EFI_STATUS EFIAPI
XsUninstallProtocolInterface (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID *Interface)
{
  return XS (XS_UNINSTALL_PROTOCOL, U (Handle), U (Protocol), U (Interface));
}

static EFI_STATUS EFIAPI
XsHandleProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID **Interface)
{
  return XS (XS_HANDLE_PROTOCOL, U (Handle), U (Protocol), U (Interface));
}

static EFI_STATUS EFIAPI
XsOpenProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, VOID **Interface, EFI_HANDLE AgentHandle,
                EFI_HANDLE ControllerHandle, UINT32 Attributes)
{
  return XS (XS_OPEN_PROTOCOL, U (Handle), U (Protocol), U (Interface), U (AgentHandle), U (ControllerHandle), Attributes);
}

static EFI_STATUS EFIAPI
XsCloseProtocol (EFI_HANDLE Handle, EFI_GUID *Protocol, EFI_HANDLE AgentHandle, EFI_HANDLE ControllerHandle)
{
  return XS (XS_CLOSE_PROTOCOL, U (Handle), U (Protocol), U (AgentHandle), U (ControllerHandle));
}

static EFI_STATUS EFIAPI
XsOpenProtocolInformation (EFI_HANDLE Handle, EFI_GUID *Protocol, EFI_OPEN_PROTOCOL_INFORMATION_ENTRY **EntryBuffer,
                           UINTN *EntryCount)
{
  return XS (XS_OPEN_PROTOCOL_INFORMATION, U (Handle), U (Protocol), U (EntryBuffer), U (EntryCount));
}

static EFI_STATUS EFIAPI
XsDisconnectController (EFI_HANDLE ControllerHandle, EFI_HANDLE DriverImageHandle, EFI_HANDLE ChildHandle)
{
  return XS (XS_DISCONNECT_CONTROLLER, U (ControllerHandle), U (DriverImageHandle), U (ChildHandle));
}

static EFI_STATUS EFIAPI
XsConnectController (EFI_HANDLE ControllerHandle, EFI_HANDLE *DriverImageHandle, EFI_DEVICE_PATH_PROTOCOL *Remaining,
                     BOOLEAN Recursive)
{
  return XS (XS_CONNECT_CONTROLLER, U (ControllerHandle), U (DriverImageHandle), U (Remaining), Recursive);
}

static EFI_STATUS EFIAPI
XsLocateHandleBuffer (EFI_LOCATE_SEARCH_TYPE SearchType, EFI_GUID *Protocol, VOID *SearchKey, UINTN *NoHandles,
                      EFI_HANDLE **Buffer)
{
  return XS (XS_LOCATE_HANDLE_BUFFER, SearchType, U (Protocol), U (SearchKey), U (NoHandles), U (Buffer));
}

static EFI_STATUS EFIAPI
XsLocateProtocol (EFI_GUID *Protocol, VOID *Registration, VOID **Interface)
{
  return XS (XS_LOCATE_PROTOCOL, U (Protocol), U (Registration), U (Interface));
}

static EFI_STATUS EFIAPI XsStall (UINTN Microseconds) { return XS (XS_STALL, Microseconds); }

static EFI_STATUS EFIAPI
XsLocateDevicePath (EFI_GUID *Protocol, EFI_DEVICE_PATH_PROTOCOL **DevicePath, EFI_HANDLE *Device)
{
  return XS (XS_LOCATE_DEVICE_PATH, U (Protocol), U (DevicePath), U (Device));
}

static EFI_STATUS EFIAPI
XsRegisterProtocolNotify (EFI_GUID *Protocol, EFI_EVENT Event, VOID **Registration)
{
  return XS (XS_REGISTER_PROTOCOL_NOTIFY, U (Protocol), U (Event), U (Registration));
}

/**
  CoreInstallMultipleProtocolInterfaces (MdeModulePkg/Core/Dxe/Hand/Handle.c): at TPL_NOTIFY,
  each pair in turn through InstallProtocolInterface; on a failure the ones installed are
  uninstalled again. (The device-path duplicate check is left out: no driver here installs one
  that exists.)
**/
static EFI_STATUS EFIAPI
XsInstallMultipleProtocolInterfaces (EFI_HANDLE *Handle, ...)
{
  VA_LIST     Args;
  EFI_STATUS  Status = EFI_SUCCESS;
  EFI_GUID    *Protocol;
  VOID        *Interface;
  EFI_TPL     OldTpl;
  UINTN       Index, Done;
  EFI_HANDLE  OldHandle;

  if (Handle == NULL) {
    return EFI_INVALID_PARAMETER;
  }

  OldTpl    = XsRaiseTpl (TPL_NOTIFY);
  OldHandle = *Handle;
  Done      = 0;
  VA_START (Args, Handle);
  for (;;) {
    Protocol = VA_ARG (Args, EFI_GUID *);
    if (Protocol == NULL) {
      break;
    }
    Interface = VA_ARG (Args, VOID *);
    Status    = XsInstallProtocolInterface (Handle, Protocol, EFI_NATIVE_INTERFACE, Interface);
    if (EFI_ERROR (Status)) {
      break;
    }
    Done++;
  }
  VA_END (Args);
  if (EFI_ERROR (Status)) {
    VA_START (Args, Handle);
    for (Index = 0; Index < Done; Index++) {
      Protocol  = VA_ARG (Args, EFI_GUID *);
      Interface = VA_ARG (Args, VOID *);
      XsUninstallProtocolInterface (*Handle, Protocol, Interface);
    }
    VA_END (Args);
    *Handle = OldHandle;
  }
  XsRestoreTpl (OldTpl);
  return Status;
}

/** CoreUninstallMultipleProtocolInterfaces: each pair; on a failure the removed ones are put back. */
static EFI_STATUS EFIAPI
XsUninstallMultipleProtocolInterfaces (EFI_HANDLE Handle, ...)
{
  VA_LIST     Args;
  EFI_STATUS  Status = EFI_SUCCESS;
  EFI_GUID    *Protocol;
  VOID        *Interface;
  UINTN       Index, Done;

  Done = 0;
  VA_START (Args, Handle);
  for (;;) {
    Protocol = VA_ARG (Args, EFI_GUID *);
    if (Protocol == NULL) {
      break;
    }
    Interface = VA_ARG (Args, VOID *);
    Status    = XsUninstallProtocolInterface (Handle, Protocol, Interface);
    if (EFI_ERROR (Status)) {
      break;
    }
    Done++;
  }
  VA_END (Args);
  if (EFI_ERROR (Status)) {
    VA_START (Args, Handle);
    for (Index = 0; Index < Done; Index++) {
      Protocol  = VA_ARG (Args, EFI_GUID *);
      Interface = VA_ARG (Args, VOID *);
      XsInstallProtocolInterface (&Handle, Protocol, EFI_NATIVE_INTERFACE, Interface);
    }
    VA_END (Args);
    return EFI_INVALID_PARAMETER;
  }
  return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI XsUnsupported (VOID) { return XS (XS_UNSUPPORTED); }

/* ---- BaseLib's CPU primitives ------------------------------------------------------------ */

VOID EFIAPI
MemoryFence (VOID)
{
  __asm__ __volatile__ ("mfence" ::: "memory");
  if (!mFreeRunning) {
    XS (XS_MEMORY_FENCE);
  }
}

VOID EFIAPI
CpuPause (VOID)
{
  __asm__ __volatile__ ("pause" ::: "memory");
  if (!mFreeRunning) {
    XS (XS_CPU_PAUSE);
  }
}

VOID EFIAPI
CpuDeadLoop (VOID)
{
  XS (XS_DEBUG_ASSERT, U ("CpuDeadLoop"), 0, U ("CpuDeadLoop"));
  for (;;) {
  }
}

/* ---- DebugLib (what OVMF's PlatformDebugLibIoPort prints, to the simulator's log) --------- */

#define XS_DEBUG_LEVEL  0x8000004FU /* OVMF's PcdDebugPrintErrorLevel */

VOID EFIAPI
DebugPrint (UINTN ErrorLevel, CONST CHAR8 *Format, ...)
{
  CHAR8    Buffer[512];
  VA_LIST  Marker;

  if ((ErrorLevel & XS_DEBUG_LEVEL) == 0) {
    return;
  }
  VA_START (Marker, Format);
  AsciiVSPrint (Buffer, sizeof (Buffer), Format, Marker);
  VA_END (Marker);
  XS (XS_DEBUG_PRINT, ErrorLevel, U (Buffer));
}

VOID EFIAPI
DebugAssert (CONST CHAR8 *FileName, UINTN LineNumber, CONST CHAR8 *Description)
{
  XS (XS_DEBUG_ASSERT, U (FileName), LineNumber, U (Description));
  for (;;) {
  }
}

VOID * EFIAPI
DebugClearMemory (VOID *Buffer, UINTN Length)
{
  return Buffer;
}

BOOLEAN EFIAPI DebugAssertEnabled (VOID) { return TRUE; }
BOOLEAN EFIAPI DebugPrintEnabled (VOID) { return TRUE; }
BOOLEAN EFIAPI DebugCodeEnabled (VOID) { return TRUE; }
BOOLEAN EFIAPI DebugClearMemoryEnabled (VOID) { return FALSE; }
BOOLEAN EFIAPI DebugPrintLevelEnabled (CONST UINTN ErrorLevel) { return (ErrorLevel & XS_DEBUG_LEVEL) != 0; }

/* ---- XenHypercallLib ---------------------------------------------------------------------- */

RETURN_STATUS EFIAPI XenHypercallLibInit (VOID) { return RETURN_SUCCESS; }
BOOLEAN EFIAPI XenHypercallIsAvailable (VOID) { return TRUE; }

UINT64 EFIAPI
XenHypercallHvmGetParam (UINT32 Index)
{
  return XS (XS_HVM_GET_PARAM, Index);
}

INTN EFIAPI
XenHypercallMemoryOp (UINTN Operation, VOID *Arguments)
{
  return (INTN)XS (XS_MEMORY_OP, Operation, U (Arguments));
}

INTN EFIAPI
XenHypercallEventChannelOp (INTN Operation, VOID *Arguments)
{
  return (INTN)XS (XS_EVTCHN_OP, (UINT64)Operation, U (Arguments));
}

/* ---- what the simulator calls (sysv ABI, through JNA) ------------------------------------- */

EFI_STATUS EFIAPI XenBusDxeDriverEntryPoint (EFI_HANDLE ImageHandle, EFI_SYSTEM_TABLE *SystemTable);
EFI_STATUS EFIAPI XenPvBlkDxeDriverEntryPoint (EFI_HANDLE ImageHandle, EFI_SYSTEM_TABLE *SystemTable);

typedef UINT64 (EFIAPI *XS_EFIAPI6)(UINT64, UINT64, UINT64, UINT64, UINT64, UINT64);

/** Sets the callback and fills gBS and gST. */
__attribute__ ((visibility ("default"))) void
xs_init (XS_CALL Call)
{
  UINTN  Index;
  VOID   **Slot;

  mXsCall = Call;
  Slot    = (VOID **)&mBootServices;
  for (Index = sizeof (EFI_TABLE_HEADER) / sizeof (VOID *); Index < sizeof (mBootServices) / sizeof (VOID *); Index++) {
    Slot[Index] = (VOID *)XsUnsupported;
  }
  mBootServices.Hdr.Signature                      = EFI_BOOT_SERVICES_SIGNATURE;
  mBootServices.Hdr.Revision                       = EFI_BOOT_SERVICES_REVISION;
  mBootServices.Hdr.HeaderSize                     = sizeof (mBootServices);
  mBootServices.RaiseTPL                           = XsRaiseTpl;
  mBootServices.RestoreTPL                         = XsRestoreTpl;
  mBootServices.AllocatePages                      = XsAllocatePages;
  mBootServices.FreePages                          = XsFreePages;
  mBootServices.AllocatePool                       = XsAllocatePool;
  mBootServices.FreePool                           = XsFreePool;
  mBootServices.CreateEvent                        = XsCreateEvent;
  mBootServices.CreateEventEx                      = XsCreateEventEx;
  mBootServices.SetTimer                           = XsSetTimer;
  mBootServices.WaitForEvent                       = XsWaitForEvent;
  mBootServices.SignalEvent                        = XsSignalEvent;
  mBootServices.CloseEvent                         = XsCloseEvent;
  mBootServices.CheckEvent                         = XsCheckEvent;
  mBootServices.InstallProtocolInterface           = XsInstallProtocolInterface;
  mBootServices.UninstallProtocolInterface         = XsUninstallProtocolInterface;
  mBootServices.HandleProtocol                     = XsHandleProtocol;
  mBootServices.OpenProtocol                       = XsOpenProtocol;
  mBootServices.CloseProtocol                      = XsCloseProtocol;
  mBootServices.OpenProtocolInformation            = XsOpenProtocolInformation;
  mBootServices.DisconnectController               = XsDisconnectController;
  mBootServices.ConnectController                  = XsConnectController;
  mBootServices.LocateHandleBuffer                 = XsLocateHandleBuffer;
  mBootServices.LocateProtocol                     = XsLocateProtocol;
  mBootServices.Stall                              = XsStall;
  mBootServices.LocateDevicePath                   = XsLocateDevicePath;
  mBootServices.RegisterProtocolNotify             = XsRegisterProtocolNotify;
  mBootServices.InstallMultipleProtocolInterfaces   = XsInstallMultipleProtocolInterfaces;
  mBootServices.UninstallMultipleProtocolInterfaces = XsUninstallMultipleProtocolInterfaces;
  mSystemTable.Hdr.Signature = EFI_SYSTEM_TABLE_SIGNATURE;
  mSystemTable.Hdr.Revision  = EFI_2_70_SYSTEM_TABLE_REVISION;
  mSystemTable.BootServices  = &mBootServices;
  gBS                        = &mBootServices;
  gST                        = &mSystemTable;
}

/**
  Threaded mode: MemoryFence and CpuPause are the instructions alone, run on the vCPU thread against
  guest RAM the real-thread backends write meanwhile (a polling loop sees their stores as hardware
  would); in deterministic mode (0, the default) each is a shim call, the grain at which virtual
  time passes while the C code polls.
**/
__attribute__ ((visibility ("default"))) void
xs_set_free_running (UINT8 On)
{
  mFreeRunning = On;
}

/** The firmware stack: it grows down from Top (guest RAM the simulator set aside). */
__attribute__ ((visibility ("default"))) void
xs_set_stack (UINT64 Top)
{
  mCSp = Top;
}

/** The system table the entry points get. */
__attribute__ ((visibility ("default"))) UINT64
xs_system_table (void)
{
  return U (&mSystemTable);
}

/** The drivers' entry points: 0 XenBusDxe, 1 XenPvBlkDxe. */
__attribute__ ((visibility ("default"))) UINT64
xs_entry_point (int Which)
{
  return Which == 0 ? U (XenBusDxeDriverEntryPoint) : U (XenPvBlkDxeDriverEntryPoint);
}
