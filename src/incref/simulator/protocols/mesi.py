"""MESI: MSI plus Exclusive, a clean private copy that may be written without a bus or
directory transaction (Primer, 2nd ed., 2020: section 7.3 "Adding the Exclusive State" for
snooping, section 8.3.1 for directories).

`BUS`: atomic-bus abstraction as in `msi.BUS`. The memory controller must know whether any
cache may hold the block to grant E (the section's I / S / EorM states); an E block is
evicted with a (clean) PutM so that memory becomes the owner again, the Primer's PutE
folded into PutM. A snooper in E answers another core's GetS and keeps a shared copy.

`DIRECTORY`: the MSI directory tables (section 8.2.4, Tables 8.1 and 8.2) with E: the
directory answers a GetS on an uncached block with exclusive data (`excl>req`) and records
the requestor as owner; it cannot tell E from M (E becomes M silently), so its `M` state
means "a cache owns the block in E or M". E evicts with a PutM carrying its clean data.
"""

BUS = """
table cache
states  I:- S:r E:rwo M:rwo IS_D:- IM_D:- SM_D:r
events  Load Store Replacement OtherGetS OtherGetM OtherPutM Data DataExcl NoData
state | Load      | Store      | Replacement | OtherGetS           | OtherGetM  | OtherPutM | Data | DataExcl | NoData
I     | GetS/IS_D | GetM/IM_D  | -           | /I                  | /I         | /I        | -    | -        | -
S     | hit       | GetM/SM_D  | /I          | /S                  | /I         | -         | -    | -        | -
E     | hit       | hit/M      | PutM/I      | data>req/S          | data>req/I | -         | -    | -        | -
M     | hit       | hit        | PutM/I      | data>req,data>dir/S | data>req/I | -         | -    | -        | -
IS_D  | -         | -          | -           | -                   | -          | -         | /S   | /E       | -
IM_D  | -         | -          | -           | -                   | -          | -         | /M   | -        | -
SM_D  | -         | -          | -           | -                   | -          | -         | /M   | -        | -

table home
states  I: S: EorM:
events  GetS GetM PutM
state | GetS          | GetM          | PutM
I     | excl>req/EorM | data>req/EorM | -
S     | data>req      | data>req/EorM | -
EorM  | /S            | /EorM         | mem<data/I
"""

DIRECTORY = """
table cache
states  I:- IS_D:- IM_AD:- IM_A:- S:r SM_AD:r SM_A:r E:rwo M:rwo MI_A:o SI_A:- II_A:-
events  Load Store Replacement FwdGetS FwdGetM Inv PutAck Data DataAcks DataExcl InvAck LastInvAck
state | Load      | Store      | Replacement | FwdGetS                | FwdGetM       | Inv               | PutAck | Data | DataAcks | DataExcl | InvAck | LastInvAck
I     | GetS/IS_D | GetM/IM_AD | -           | -                      | -             | -                 | -      | -    | -        | -        | -      | -
IS_D  | stall     | stall      | stall       | stall                  | stall         | stall             | -      | /S   | -        | /E       | -      | -
IM_AD | stall     | stall      | stall       | stall                  | stall         | -                 | -      | /M   | /IM_A    | -        | /IM_AD | -
IM_A  | stall     | stall      | stall       | stall                  | stall         | -                 | -      | -    | -        | -        | /IM_A  | /M
S     | hit       | GetM/SM_AD | PutS/SI_A   | -                      | -             | invack>req/I      | -      | -    | -        | -        | -      | -
SM_AD | hit       | stall      | stall       | stall                  | stall         | invack>req/IM_AD  | -      | /M   | /SM_A    | -        | /SM_AD | -
SM_A  | hit       | stall      | stall       | stall                  | stall         | -                 | -      | -    | -        | -        | /SM_A  | /M
E     | hit       | hit/M      | PutM/MI_A   | data>req,data>dir/S    | data>req/I    | -                 | -      | -    | -        | -        | -      | -
M     | hit       | hit        | PutM/MI_A   | data>req,data>dir/S    | data>req/I    | -                 | -      | -    | -        | -        | -      | -
MI_A  | stall     | stall      | stall       | data>req,data>dir/SI_A | data>req/II_A | -                 | /I     | -    | -        | -        | -      | -
SI_A  | stall     | stall      | stall       | -                      | -             | invack>req/II_A   | /I     | -    | -        | -        | -      | -
II_A  | stall     | stall      | stall       | -                      | -             | -                 | /I     | -    | -        | -        | -      | -

table home
states  I: S: M: S_D:
events  GetS GetM GetMOwner PutS PutSLast PutM PutMNonOwner Data
state | GetS                            | GetM                                       | GetMOwner | PutS             | PutSLast           | PutM                             | PutMNonOwner     | Data
I     | excl>req,owner=req/M            | data>req,owner=req/M                       | -         | putack>req       | putack>req         | -                                | putack>req       | -
S     | data>req,+req                   | data+acks>req,inv>sharers,clr,owner=req/M  | -         | -req,putack>req  | -req,putack>req/I  | -                                | -req,putack>req  | -
M     | fwd>owner,+req,+owner,owner=-/S_D | fwd>owner,owner=req                      | -         | putack>req       | putack>req         | mem<data,owner=-,putack>req/I    | putack>req       | -
S_D   | stall                           | stall                                      | -         | -req,putack>req  | -req,putack>req    | -                                | -req,putack>req  | mem<data/S
"""
