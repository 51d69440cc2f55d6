/*
** A SQLite VFS that wraps the default one and hands the kernel each
** commit's WAL frames in one write. SQLite writes a frame as two writes
** (its 24-byte header, then the page), so a commit of 25 pages cost 50
** system calls. Here a WAL file keeps the contiguous writes of a commit in
** a buffer and writes them when the commit frame is complete, before
** SQLite publishes the commit in the wal-index (shared memory), so no
** other connection can see a frame that is not in the file yet. Anything
** else that could observe the file (a read, a sync, its size, a truncate,
** a lock or barrier on the shared memory, a close) writes the buffer out
** first, so the file is the same as without the buffer whenever anyone
** looks.
**
** Reads of a WAL file are served from 64 KiB chunks read at once: a
** checkpoint reads every frame it copies with a read of its own, in page
** order. The chunks hold only what one transaction or checkpoint pass
** reads: any lock or barrier on the shared memory (which begins and ends
** each) forgets them, as does any write, truncate or sync of the file.
** Within a pass the frames read are committed ones, which nobody
** rewrites until the pass ends.
*/
#include <string.h>
#include "sqlite3vfs.h"

#define WB_NAME "journey-walbatch"
/* The most the default VFS writes with one call (its seekAndWriteFd
** masks the length with 0x1ffff): about 31 frames of 4 KiB pages. A
** larger commit takes a write per 31 frames. */
#define WB_BUFFER 0x1ffff
#define WB_FRAME_HEADER 24
#define WB_CHUNK 0x10000
#define WB_CHUNKS 16

typedef struct WbFile WbFile;
struct WbFile {
  sqlite3_file base;
  sqlite3_file *real;   /* the default VFS's file, just after this struct */
  WbFile *wal;          /* main database: its WAL file, while open */
  WbFile *db;           /* WAL file: its main database */
  int isWal;
  int commitNext;       /* the last write was the header of a commit frame */
  char *buf;
  int len;
  sqlite3_int64 off;    /* the file offset of buf[0] */
  char *chunks;         /* WB_CHUNKS read chunks, chunk i at i*WB_CHUNK */
  sqlite3_int64 chunkAt[WB_CHUNKS]; /* the chunk's number + 1, 0 if empty */
  int chunkLen[WB_CHUNKS];
  sqlite3_int64 size;   /* the file's size when the chunks were read, -1 */
};

static sqlite3_vfs *wbBase;
static sqlite3_vfs wbVfs;
static sqlite3_io_methods wbMethods[3];

static int wbIsOurs(sqlite3_file *f){
  return f && f->pMethods>=&wbMethods[0] && f->pMethods<=&wbMethods[2];
}

/* walWrites counts the writes handed to WAL files underneath, and
** walChunkReads the WAL reads served from chunks (for the tests; racy
** increments only make them approximate with several connections). */
static volatile long long walWrites;
static volatile long long walChunkReads;

long long journey_walbatch_writes(void){ return walWrites; }
long long journey_walbatch_chunk_reads(void){ return walChunkReads; }

static int wbFlush(WbFile *p){
  int rc = SQLITE_OK;
  if( p && p->len>0 ){
    walWrites++;
    rc = p->real->pMethods->xWrite(p->real, p->buf, p->len, p->off);
    p->len = 0;
  }
  return rc;
}

/* wbForget drops the read chunks: the file may change from now on. */
static void wbForget(WbFile *p){
  if( p && p->size!=-1 ){
    memset(p->chunkAt, 0, sizeof(p->chunkAt));
    p->size = -1;
  }
}

/* wbReadChunk serves a read of a WAL file from its chunk, reading the
** chunk first if needed. It returns 0 when the read is not for the
** chunks (across two of them, past the end): the caller reads it. */
static int wbReadChunk(WbFile *p, void *z, int amt, sqlite3_int64 ofst, int *pRc){
  sqlite3_int64 n = ofst / WB_CHUNK;
  sqlite3_int64 start = n * WB_CHUNK;
  int slot = (int)(n % WB_CHUNKS);
  int rc;
  if( amt<=0 || (ofst+amt-1)/WB_CHUNK!=n ) return 0;
  if( p->chunkAt[slot]!=n+1 ){
    sqlite3_int64 len;
    if( p->chunks==0 ){
      p->chunks = sqlite3_malloc(WB_CHUNK*WB_CHUNKS);
      if( p->chunks==0 ) return 0;
    }
    if( p->size==-1 ){
      rc = p->real->pMethods->xFileSize(p->real, &p->size);
      if( rc!=SQLITE_OK ){ p->size = -1; return 0; }
    }
    len = p->size - start;
    if( len>WB_CHUNK ) len = WB_CHUNK;
    if( len<(ofst-start)+amt ) return 0;
    p->chunkAt[slot] = 0;
    rc = p->real->pMethods->xRead(p->real, p->chunks + (sqlite3_int64)slot*WB_CHUNK, (int)len, start);
    if( rc!=SQLITE_OK ) return 0;
    p->chunkAt[slot] = n+1;
    p->chunkLen[slot] = (int)len;
  }
  if( (ofst-start)+amt>p->chunkLen[slot] ) return 0;
  memcpy(z, p->chunks + (sqlite3_int64)slot*WB_CHUNK + (ofst-start), amt);
  *pRc = SQLITE_OK;
  return 1;
}

/* wbSettle writes out a WAL file's buffer and forgets its read chunks,
** before anything that may change the file or what others see of it. */
static int wbSettle(WbFile *p){
  int rc = wbFlush(p);
  wbForget(p);
  return rc;
}

static int wbClose(sqlite3_file *f){
  WbFile *p = (WbFile*)f;
  int rc = wbFlush(p);
  int rc2;
  if( p->db && p->db->wal==p ) p->db->wal = 0;
  if( p->wal && p->wal->db==p ) p->wal->db = 0;
  if( p->buf ){ sqlite3_free(p->buf); p->buf = 0; }
  if( p->chunks ){ sqlite3_free(p->chunks); p->chunks = 0; }
  rc2 = p->real->pMethods->xClose(p->real);
  return rc!=SQLITE_OK ? rc : rc2;
}

static int wbRead(sqlite3_file *f, void *z, int amt, sqlite3_int64 ofst){
  WbFile *p = (WbFile*)f;
  int rc = wbFlush(p);
  if( rc!=SQLITE_OK ) return rc;
  if( p->isWal && wbReadChunk(p, z, amt, ofst, &rc) ){
    walChunkReads++;
    return rc;
  }
  return p->real->pMethods->xRead(p->real, z, amt, ofst);
}

static int wbWrite(sqlite3_file *f, const void *z, int amt, sqlite3_int64 ofst){
  WbFile *p = (WbFile*)f;
  int rc;
  if( !p->isWal ) return p->real->pMethods->xWrite(p->real, z, amt, ofst);
  wbForget(p);
  if( p->len>0 && (ofst!=p->off+p->len || p->len+amt>WB_BUFFER) ){
    rc = wbFlush(p);
    if( rc!=SQLITE_OK ) return rc;
  }
  if( p->buf==0 && amt<=WB_BUFFER ) p->buf = sqlite3_malloc(WB_BUFFER);
  if( p->buf==0 || amt>WB_BUFFER ){
    p->commitNext = 0;
    walWrites++;
    return p->real->pMethods->xWrite(p->real, z, amt, ofst);
  }
  if( p->len==0 ) p->off = ofst;
  memcpy(p->buf+p->len, z, amt);
  p->len += amt;
  if( amt==WB_FRAME_HEADER ){
    /* A frame header: bytes 4-7 are the database size after the commit
    ** for the last frame of a commit, zero for the others. */
    const unsigned char *h = (const unsigned char*)z;
    p->commitNext = (h[4]|h[5]|h[6]|h[7])!=0;
    return SQLITE_OK;
  }
  if( p->commitNext ){
    /* The commit frame's page: the commit is whole, write it now, while
    ** SQLite can still report an error and roll the commit back. */
    p->commitNext = 0;
    return wbFlush(p);
  }
  return SQLITE_OK;
}

static int wbTruncate(sqlite3_file *f, sqlite3_int64 size){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xTruncate(p->real, size);
}

static int wbSync(sqlite3_file *f, int flags){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xSync(p->real, flags);
}

static int wbFileSize(sqlite3_file *f, sqlite3_int64 *pSize){
  WbFile *p = (WbFile*)f;
  int rc = wbFlush(p);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xFileSize(p->real, pSize);
}

static int wbLock(sqlite3_file *f, int lock){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xLock(p->real, lock);
}

static int wbUnlock(sqlite3_file *f, int lock){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xUnlock(p->real, lock);
}

static int wbCheckReservedLock(sqlite3_file *f, int *pResOut){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xCheckReservedLock(p->real, pResOut);
}

static int wbFileControl(sqlite3_file *f, int op, void *pArg){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xFileControl(p->real, op, pArg);
}

static int wbSectorSize(sqlite3_file *f){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xSectorSize(p->real);
}

static int wbDeviceCharacteristics(sqlite3_file *f){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xDeviceCharacteristics(p->real);
}

/* The shared-memory methods are the main database's: before SQLite
** touches the wal-index, its WAL's buffer goes to the file. */

static int wbShmMap(sqlite3_file *f, int iPg, int pgsz, int bExtend, void volatile **pp){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p->wal);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xShmMap(p->real, iPg, pgsz, bExtend, pp);
}

static int wbShmLock(sqlite3_file *f, int offset, int n, int flags){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p->wal);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}

static void wbShmBarrier(sqlite3_file *f){
  WbFile *p = (WbFile*)f;
  /* No way to report an error here; the commit frame's write reported
  ** it already (the buffer is empty by now in every known path). */
  wbSettle(p->wal);
  p->real->pMethods->xShmBarrier(p->real);
}

static int wbShmUnmap(sqlite3_file *f, int deleteFlag){
  WbFile *p = (WbFile*)f;
  int rc = wbSettle(p->wal);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xShmUnmap(p->real, deleteFlag);
}

static int wbFetch(sqlite3_file *f, sqlite3_int64 ofst, int amt, void **pp){
  WbFile *p = (WbFile*)f;
  int rc = wbFlush(p);
  if( rc!=SQLITE_OK ) return rc;
  return p->real->pMethods->xFetch(p->real, ofst, amt, pp);
}

static int wbUnfetch(sqlite3_file *f, sqlite3_int64 ofst, void *pPage){
  WbFile *p = (WbFile*)f;
  return p->real->pMethods->xUnfetch(p->real, ofst, pPage);
}

static int wbOpen(sqlite3_vfs *pVfs, sqlite3_filename zName, sqlite3_file *f, int flags, int *pOutFlags){
  WbFile *p = (WbFile*)f;
  int rc, v;
  (void)pVfs;
  memset(p, 0, sizeof(*p));
  p->size = -1;
  p->real = (sqlite3_file*)&p[1];
  rc = wbBase->xOpen(wbBase, zName, p->real, flags, pOutFlags);
  if( p->real->pMethods==0 ){
    /* Nothing to close: SQLite must not call xClose. */
    p->base.pMethods = 0;
    return rc;
  }
  /* The same method versions as the file underneath. */
  v = p->real->pMethods->iVersion;
  p->base.pMethods = &wbMethods[(v<1 ? 1 : v>3 ? 3 : v) - 1];
  if( rc!=SQLITE_OK ) return rc;
  if( (flags & SQLITE_OPEN_WAL) && zName ){
    sqlite3_file *db = sqlite3_database_file_object(zName);
    p->isWal = 1;
    if( wbIsOurs(db) ){
      p->db = (WbFile*)db;
      p->db->wal = p;
    }
  }
  return rc;
}

/* journey_walbatch_register registers the VFS (once; later calls find it)
** and returns SQLITE_OK, or an error when SQLite is not linked in. */
int journey_walbatch_register(void){
  int i;
  if( !sqlite3_vfs_find || !sqlite3_vfs_register || !sqlite3_database_file_object
   || !sqlite3_malloc || !sqlite3_free ){
    return SQLITE_ERROR;
  }
  if( sqlite3_vfs_find(WB_NAME) ) return SQLITE_OK;
  wbBase = sqlite3_vfs_find(0);
  if( wbBase==0 ) return SQLITE_ERROR;
  for(i=0; i<3; i++){
    sqlite3_io_methods *m = &wbMethods[i];
    m->iVersion = i+1;
    m->xClose = wbClose;
    m->xRead = wbRead;
    m->xWrite = wbWrite;
    m->xTruncate = wbTruncate;
    m->xSync = wbSync;
    m->xFileSize = wbFileSize;
    m->xLock = wbLock;
    m->xUnlock = wbUnlock;
    m->xCheckReservedLock = wbCheckReservedLock;
    m->xFileControl = wbFileControl;
    m->xSectorSize = wbSectorSize;
    m->xDeviceCharacteristics = wbDeviceCharacteristics;
    if( i>=1 ){
      m->xShmMap = wbShmMap;
      m->xShmLock = wbShmLock;
      m->xShmBarrier = wbShmBarrier;
      m->xShmUnmap = wbShmUnmap;
    }
    if( i>=2 ){
      m->xFetch = wbFetch;
      m->xUnfetch = wbUnfetch;
    }
  }
  wbVfs = *wbBase;
  wbVfs.pNext = 0;
  wbVfs.zName = WB_NAME;
  wbVfs.szOsFile = (int)sizeof(WbFile) + wbBase->szOsFile;
  wbVfs.xOpen = wbOpen;
  return sqlite3_vfs_register(&wbVfs, 0);
}
